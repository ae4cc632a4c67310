"""Composition root of the patient mailbox."""

from typing import Any

from fastapi import FastAPI

from services.messaging.app import MailboxSpec, build_mailbox_app
from services.messaging.context import MailboxContext
from services.messaging.patient import resend, tables
from services.messaging.patient.api import router
from services.messaging.patient.forms_client import FormsClient
from services.messaging.patient.handlers import CONSUMES, NOT_INTERESTED, build_handlers
from services.messaging.patient.migrations import MIGRATIONS
from services.messaging.patient.settings import PatientMailboxSettings
from shared.events import topics
from shared.settings import MailboxSettings

SERVICE = "patient-mailbox"


def _clients(settings: MailboxSettings) -> dict[str, Any]:
    assert isinstance(settings, PatientMailboxSettings)  # build_app is given only these
    return {"forms": FormsClient(settings.forms_url,
                                 settings.internal_credential.get_secret_value())}


def _resend(box: MailboxContext, settings: MailboxSettings):
    """First messages the care unit has not confirmed go out again (resend.py says why)."""
    assert isinstance(settings, PatientMailboxSettings)
    return resend.run(box.engine, box.outbox.channel, every_s=settings.resend_check_interval_s,
                      after_s=settings.resend_after_s, within_s=settings.resend_within_s)


SPEC = MailboxSpec(
    service=SERVICE, mailbox="patient", title="Patient mailbox", tables=tables,
    migrations=MIGRATIONS, own_topic=topics.PATIENT_MAILBOX,
    consumes=CONSUMES, not_interested=NOT_INTERESTED,
    handlers=build_handlers, router=router, clients=_clients,
    peer_url=lambda settings: settings.careunit_mailbox_url, background=_resend)


def build_app(settings: PatientMailboxSettings) -> FastAPI:
    return build_mailbox_app(SPEC, settings)
