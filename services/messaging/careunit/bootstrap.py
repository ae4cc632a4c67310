"""Composition root of the care-unit mailbox."""

from services.messaging.app import MailboxSpec, build_mailbox_app
from services.messaging.careunit import overdue, tables
from services.messaging.careunit.api import router
from services.messaging.careunit.handlers import build_handlers
from services.messaging.careunit.settings import CareUnitMailboxSettings
from shared.events import topics

SERVICE = "careunit-mailbox"

SPEC = MailboxSpec(
    service=SERVICE, mailbox="careunit", title="Care-unit mailbox", tables=tables,
    own_topic=topics.CAREUNIT_MAILBOX,
    consumes=[topics.IDENTITY, topics.ROUTING, topics.PATIENT_MAILBOX],
    handlers=build_handlers, router=router, staff_access=tables.staff_access,
    peer_url=lambda settings: settings.patient_mailbox_url,
    background=lambda box, settings: overdue.run(box, settings.overdue_check_interval_s))


def build_app(settings: CareUnitMailboxSettings):
    return build_mailbox_app(SPEC, settings)
