"""Composition root of the care-unit mailbox."""

from fastapi import FastAPI

from services.messaging.app import MailboxSpec, build_mailbox_app
from services.messaging.careunit import overdue, tables
from services.messaging.careunit.api import router
from services.messaging.careunit.handlers import CONSUMES, NOT_INTERESTED, build_handlers
from services.messaging.careunit.migrations import MIGRATIONS
from services.messaging.careunit.settings import CareUnitMailboxSettings
from shared.events import topics

SERVICE = "careunit-mailbox"

SPEC = MailboxSpec(
    service=SERVICE, mailbox="careunit", title="Care-unit mailbox", tables=tables,
    migrations=MIGRATIONS, own_topic=topics.CAREUNIT_MAILBOX,
    consumes=CONSUMES, not_interested=NOT_INTERESTED,
    handlers=build_handlers, router=router, staff_access=tables.staff_access,
    background=lambda box, settings: overdue.run(box, settings.overdue_check_interval_s))


def build_app(settings: CareUnitMailboxSettings) -> FastAPI:
    return build_mailbox_app(SPEC, settings)
