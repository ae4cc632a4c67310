"""Moved to devstack/oidc_login.py (the demo data and the benchmarks log in with it too). This
name stays an alias of that module, so `oidc_flow.STACK = ...` still sets the one the login
helpers read; new code imports devstack.oidc_login."""

import sys

from devstack import oidc_login

sys.modules[__name__] = oidc_login
