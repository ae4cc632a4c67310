"""Moved to devstack/htmlforms.py (the login helper in devstack reads the login pages)."""

from devstack.htmlforms import Form, form

__all__ = ["Form", "form"]
