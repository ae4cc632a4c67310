"""identity: patients (population register copy), the staff catalogue (HSA), care units,
token signing keys and, for now, a development login that issues audience-bound tokens.

Run with `python -m services.identity`; configured by IDENTITY_* environment variables."""
