"""Notification decisions, pure: who is told about which event, and when a failed attempt is
retried. Nothing here knows an address: recipients are a unit id or a patient pseudonym."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from shared.events import Envelope, EventData
from shared.events.contracts import (
    ContactVerificationRequested,
    MessageOverdue,
    MessageReceived,
    ReplyDelivered,
)
from shared.ids import derived_uuid7

RecipientKind = Literal["care_unit", "patient"]
PENDING, SENT, NO_ADDRESS, FAILED = "pending", "sent", "no_address", "failed"
CANCELLED = "cancelled"  # a reminder whose answer was read before it was due
OPTED_OUT = "opted_out"  # the patient chose not to get this kind of mail

# Which template each kind of recipient gets (files under templates/).
TEMPLATES: dict[RecipientKind, str] = {
    "care_unit": "unit_new_message.html",
    "patient": "patient_reply.html",
}
# Reasons (causing events) with a template of their own, whatever the recipient kind.
REMINDER = "reminder.unread_reply"  # the reason of a reminder (no event of its own)
ANSWER = "messaging.reply_delivered.v1"
VERIFICATION = "identity.contact_verification_requested.v1"
REASON_TEMPLATES = {"messaging.message_overdue.v1": "unit_overdue.html",
                    REMINDER: "patient_reminder.html",
                    VERIFICATION: "contact_verification.html"}
# Which of the patient's choices (identity's `notify`) allows a mail for this reason.
CHOICE_FOR = {ANSWER: "answer", REMINDER: "reminder"}


def patient_wants(reason: str, notify: dict[str, object]) -> bool:
    """Whether the patient's choices allow this mail; unknown choices default to yes, as
    identity's do."""
    choice = CHOICE_FOR.get(reason)
    return choice is None or notify.get(choice, True) is not False


def template_for(kind: RecipientKind, reason: str = "") -> str:
    return REASON_TEMPLATES.get(reason, TEMPLATES[kind])


@dataclass(frozen=True)
class NewNotification:
    notification_id: UUID
    recipient_kind: RecipientKind
    recipient_ref: str
    reason: str  # wire name of the causing event
    conversation_id: str
    cause_event_id: UUID
    correlation_id: UUID
    link_token: str | None = None


def notification_for(envelope: Envelope, data: EventData) -> NewNotification | None:
    """The notification an event calls for, or None. Its id derives from the event's id, so
    the same event can never yield two notifications."""
    kind: RecipientKind
    if isinstance(data, MessageReceived | MessageOverdue):
        kind, ref = "care_unit", data.care_unit_id
    elif isinstance(data, ReplyDelivered):
        kind, ref = "patient", data.patient_id
    else:
        return None
    return NewNotification(
        notification_id=derived_uuid7(envelope.event_id, "notify"), recipient_kind=kind,
        recipient_ref=ref, reason=envelope.wire_name, conversation_id=data.conversation_id,
        cause_event_id=envelope.event_id, correlation_id=envelope.correlation_id)


def verification_mail_for(envelope: Envelope,
                          data: ContactVerificationRequested) -> NewNotification:
    """The mail with the link that verifies a patient's new address. Its 'conversation' is
    the verification (the address is looked up by it when the mail is sent)."""
    return NewNotification(
        notification_id=derived_uuid7(envelope.event_id, "notify"), recipient_kind="patient",
        recipient_ref=data.patient_id, reason=envelope.wire_name,
        conversation_id=data.verification_id, cause_event_id=envelope.event_id,
        correlation_id=envelope.correlation_id, link_token=data.token)


def reminder_for(envelope: Envelope, data: ReplyDelivered) -> NewNotification:
    """The reminder an answer calls for, should it stay unread (one per answer: its id
    derives from the delivery event's)."""
    return NewNotification(
        notification_id=derived_uuid7(envelope.event_id, "remind"), recipient_kind="patient",
        recipient_ref=data.patient_id, reason=REMINDER, conversation_id=data.conversation_id,
        cause_event_id=envelope.event_id, correlation_id=envelope.correlation_id)


def retry_delay_s(attempts: int, *, base_s: float = 2.0, cap_s: float = 600.0) -> float:
    """Exponential backoff after the n-th failed attempt, capped at ten minutes."""
    return min(base_s * 2 ** max(attempts - 1, 0), cap_s)


def state_after_failure(attempts: int, max_attempts: int) -> str:
    return FAILED if attempts >= max_attempts else PENDING
