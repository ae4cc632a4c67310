"""Moved to devstack/form_samples.py (the demo data and the benchmarks fill forms in too)."""

from devstack.form_samples import (
    CONTACT_MESSAGE,
    CONTACT_PHONE,
    SAMPLES,
    ans,
    code,
    grp,
    response,
    s,
)

__all__ = ["CONTACT_MESSAGE", "CONTACT_PHONE", "SAMPLES", "ans", "code", "grp", "response", "s"]
