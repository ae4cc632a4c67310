"""identity: patients (population register copy), the staff catalogue (HSA), care units,
token signing keys, and the OpenID Provider with its login pages (oidc/, eid/).

Run with `python -m services.identity`; configured by IDENTITY_* environment variables."""
