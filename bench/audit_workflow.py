"""The events of complete message workflows as the audit service consumes them (what each
service publishes for one patient message and its answer: 11 events, 2 of them staff reads),
for the audit batch bench (bench.auditbatch) and its tests."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

from shared.crypto.sealing import Sealed
from shared.events import Actor, Envelope, EventData, Source, new_event
from shared.events.contracts import (
    MessageAssigned,
    MessageOpened,
    MessageRead,
    MessageReceived,
    MessageRouted,
    MessageSubmitted,
    NotificationSent,
    ReplyDelivered,
    ReplySent,
)

REGION = "bench"
SEALED = Sealed(key_id="k1", ciphertext=base64.urlsafe_b64encode(b"x" * 600).decode())


def _source(service: str) -> Source:
    return Source(service=service, region=REGION)


def workflow(n: int, unit: str = "u-1") -> list[Envelope]:
    """One workflow's events in the order they are published; ids unique per call."""
    tag = uuid.uuid4().hex[:8]
    conv, msg, reply = f"c-{tag}-{n}", f"m-{tag}-{n}", f"r-{tag}-{n}"
    patient, admin, clinician = f"p-{tag}-{n}", "s-admin", f"s-clin-{n % 5}"
    now = datetime.now(UTC)
    patient_actor, system = Actor(id=patient, role="patient"), Actor(id="system", role="system")
    steps: list[tuple[EventData, str, Actor]] = [
        (MessageSubmitted(conversation_id=conv, message_id=msg, patient_id=patient,
                          care_unit_id=unit, service_type="advice", sealed_body=SEALED,
                          submitted_at=now), "patient-mailbox", patient_actor),
        (MessageRouted(conversation_id=conv, message_id=msg, patient_id=patient,
                       care_unit_id=unit, service_type="advice", sealed_body=SEALED,
                       submitted_at=now), "routing", system),
        (MessageReceived(conversation_id=conv, message_id=msg, care_unit_id=unit,
                         service_type="advice"), "careunit-mailbox", system),
        (NotificationSent(notification_id=f"n1-{tag}-{n}", recipient_kind="care_unit",
                          recipient_ref=unit, reason="messaging.message_received.v1",
                          conversation_id=conv), "notifier", system),
        (MessageOpened(conversation_id=conv, message_id=msg, care_unit_id=unit,
                       staff_id=admin, staff_role="message_administrator", patient_id=patient,
                       access_basis="administrator"), "careunit-mailbox",
         Actor(id=admin, role="staff")),
        (MessageAssigned(conversation_id=conv, message_id=msg, care_unit_id=unit,
                         clinician_id=clinician), "careunit-mailbox",
         Actor(id=admin, role="staff")),
        (MessageOpened(conversation_id=conv, message_id=msg, care_unit_id=unit,
                       staff_id=clinician, staff_role="clinician", patient_id=patient,
                       access_basis="assigned"), "careunit-mailbox",
         Actor(id=clinician, role="staff")),
        (ReplySent(conversation_id=conv, message_id=msg, reply_id=reply, patient_id=patient,
                   care_unit_id=unit, clinician_id=clinician, sealed_body=SEALED, sent_at=now),
         "careunit-mailbox", Actor(id=clinician, role="staff")),
        (ReplyDelivered(conversation_id=conv, reply_id=reply, patient_id=patient,
                        care_unit_id=unit), "patient-mailbox", system),
        (NotificationSent(notification_id=f"n2-{tag}-{n}", recipient_kind="patient",
                          recipient_ref=patient, reason="messaging.reply_delivered.v1",
                          conversation_id=conv), "notifier", system),
        (MessageRead(conversation_id=conv, patient_id=patient, reply_ids=[reply]),
         "patient-mailbox", patient_actor),
    ]
    first = None
    events = []
    for data, service, actor in steps:
        event = new_event(data, source=_source(service), subject=conv, actor=actor, cause=first)
        first = first or event
        events.append(event)
    return events


def mix(count: int) -> list[Envelope]:
    """`count` events of interleaved workflows (several conversations at once, as a fetched
    batch from one partition holds them)."""
    flows = [workflow(n) for n in range(max(1, count // 11 + 1))]
    interleaved = [flow[i] for i in range(11) for flow in flows]
    return interleaved[:count]
