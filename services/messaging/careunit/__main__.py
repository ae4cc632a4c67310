"""Run the care-unit mailbox: `python -m services.messaging.careunit`
(settings from CAREUNIT_MAILBOX_* env)."""

from services.messaging.careunit.bootstrap import SERVICE, build_app
from services.messaging.careunit.settings import CareUnitMailboxSettings
from shared.serve import serve

if __name__ == "__main__":
    serve(build_app, CareUnitMailboxSettings(), SERVICE)
