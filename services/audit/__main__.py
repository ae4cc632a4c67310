"""Run the audit service: `python -m services.audit` (settings from AUDIT_* env)."""

from services.audit.bootstrap import create_app
from services.audit.settings import AuditSettings
from shared.serve import serve

if __name__ == "__main__":
    serve(create_app, AuditSettings(), "audit")
