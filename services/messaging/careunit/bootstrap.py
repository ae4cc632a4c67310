"""Composition root of the care-unit mailbox."""

from fastapi import APIRouter, FastAPI

from services.messaging.app import MailboxSpec, build_mailbox_app
from services.messaging.careunit import access_log, overdue, tables
from services.messaging.careunit.api import router as staff_router
from services.messaging.careunit.handlers import CONSUMES, NOT_INTERESTED, build_handlers
from services.messaging.careunit.migrations import MIGRATIONS
from services.messaging.careunit.settings import CareUnitMailboxSettings
from shared.events import topics

SERVICE = "careunit-mailbox"
router = APIRouter()
router.include_router(staff_router)
router.include_router(access_log.router)  # internal: the audit service's reconciliation

SPEC = MailboxSpec(
    service=SERVICE, mailbox="careunit", title="Care-unit mailbox", tables=tables,
    migrations=MIGRATIONS, own_topic=topics.CAREUNIT_MAILBOX,
    consumes=CONSUMES, not_interested=NOT_INTERESTED,
    handlers=build_handlers, router=router, staff_access=tables.staff_access,
    peer_url=lambda settings: settings.patient_mailbox_url,
    background=lambda box, settings: overdue.run(box, settings.overdue_check_interval_s))


def build_app(settings: CareUnitMailboxSettings) -> FastAPI:
    app = build_mailbox_app(SPEC, settings)
    return app
