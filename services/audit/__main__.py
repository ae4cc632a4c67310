"""Run the audit service: `python -m services.audit` (settings from AUDIT_* env); with a
command (`verify`, `partitions`, `keygen`), see services.audit.cli."""

import sys

from services.audit.bootstrap import create_app
from services.audit.cli import main
from services.audit.settings import AuditSettings
from shared.serve import serve

if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(main(sys.argv[1:]))
    serve(create_app, AuditSettings(), "audit")
