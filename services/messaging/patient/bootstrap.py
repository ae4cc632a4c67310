"""Composition root of the patient mailbox."""

from services.messaging.app import MailboxSpec, build_mailbox_app
from services.messaging.patient import tables
from services.messaging.patient.api import router
from services.messaging.patient.forms_client import FormsClient
from services.messaging.patient.handlers import build_handlers
from services.messaging.patient.settings import PatientMailboxSettings
from shared.events import topics

SERVICE = "patient-mailbox"

SPEC = MailboxSpec(
    service=SERVICE, mailbox="patient", title="Patient mailbox", tables=tables,
    own_topic=topics.PATIENT_MAILBOX,
    consumes=[topics.IDENTITY, topics.FORMS, topics.ROUTING, topics.CAREUNIT_MAILBOX],
    handlers=build_handlers, router=router,
    peer_url=lambda settings: settings.careunit_mailbox_url,
    clients=lambda settings: {"forms": FormsClient(
        settings.forms_url, settings.internal_api_key.get_secret_value())})


def build_app(settings: PatientMailboxSettings):
    return build_mailbox_app(SPEC, settings)
