"""forms: the e-service forms care units design and patients fill in, versioned, and which
e-services each unit offers to whom.

Run with `python -m services.forms`; configured by FORMS_* environment variables."""
