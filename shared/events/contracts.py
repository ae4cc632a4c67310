"""Every cross-service event payload, versioned.

Rules: people appear only as pseudonymous ids (patient_id, staff_id); bodies only sealed.
A breaking change is a new version (a new class), never an edit of a published one;
tests/unit/test_contract_compat.py checks the committed JSON Schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from shared.crypto.sealing import Sealed
from shared.events.envelope import EventData
from shared.events.registry import event

ServiceType = Literal[
    "book_appointment", "change_appointment", "renew_prescription", "renew_sick_leave",
    "order_record_copy", "advice", "change_care_centre",
]
Role = Literal["message_administrator", "clinician", "form_designer", "auditor"]
Id = Field(min_length=1, max_length=100)


# identity ------------------------------------------------------------------------------

class UnitMembership(EventData):
    unit_id: str = Id
    roles: list[Role]


@event("identity.care_unit_registered", 1)
class CareUnitRegistered(EventData):
    """Care units are organisations, so their name and functional address may travel."""

    unit_id: str = Id
    name: str
    region: str
    functional_email: str
    services: list[ServiceType]


@event("identity.patient_registered", 1)
class PatientRegistered(EventData):
    patient_id: str = Id


@event("identity.staff_registered", 1)
class StaffRegistered(EventData):
    staff_id: str = Id
    profession: str
    memberships: list[UnitMembership]


# messaging: both mailboxes ---------------------------------------------------------------

@event("messaging.mailbox_key_published", 1)
class MailboxKeyPublished(EventData):
    mailbox: Literal["patient", "careunit"]
    key_id: str = Id
    public_key: str  # base64url
    suite: str
    # Set by every announcer since announcements are signed; receivers refuse one without
    # them. key_version: counted up by the announcer, decides which key is newest.
    # signature: Ed25519 over services.messaging.keys.signed_bytes, base64url.
    key_version: int | None = Field(default=None, ge=1, le=2**31 - 1)
    signature: str | None = Field(default=None, max_length=200)


# messaging: patient mailbox ----------------------------------------------------------------

@event("messaging.message_submitted", 1)
class MessageSubmitted(EventData):
    conversation_id: str = Id
    message_id: str = Id
    patient_id: str = Id
    care_unit_id: str = Id
    service_type: ServiceType
    sealed_body: Sealed  # sealed to the care-unit mailbox key
    submitted_at: datetime


@event("messaging.reply_delivered", 1)
class ReplyDelivered(EventData):
    conversation_id: str = Id
    reply_id: str = Id
    patient_id: str = Id
    care_unit_id: str = Id


@event("messaging.message_read", 1)
class MessageRead(EventData):
    """The patient opened a conversation that has a reply."""

    conversation_id: str = Id
    patient_id: str = Id
    reply_ids: list[str]


@event("messaging.patient_replied", 1)
class PatientReplied(EventData):
    """The patient wrote again in an open conversation (goes straight to the care-unit
    mailbox: the conversation already has its unit, so nothing is routed)."""

    conversation_id: str = Id
    message_id: str = Id  # this new message
    patient_id: str = Id
    care_unit_id: str = Id
    sealed_body: Sealed  # sealed to the care-unit mailbox key
    sent_at: datetime


# routing -------------------------------------------------------------------------------

@event("routing.message_routed", 1)
class MessageRouted(EventData):
    conversation_id: str = Id
    message_id: str = Id
    patient_id: str = Id
    care_unit_id: str = Id
    service_type: ServiceType
    sealed_body: Sealed
    submitted_at: datetime
    # The patient's region when it is not the unit's (a hand-over between regions): the
    # unit's answer is sealed to that region's patient-mailbox key. None: the same region.
    patient_region: str | None = Field(default=None, pattern=r"^[a-z0-9-]{1,40}$")


@event("routing.message_unroutable", 1)
class MessageUnroutable(EventData):
    conversation_id: str = Id
    message_id: str = Id
    care_unit_id: str = Id
    reason: str


# messaging: care-unit mailbox ------------------------------------------------------------

@event("messaging.message_received", 1)
class MessageReceived(EventData):
    conversation_id: str = Id
    message_id: str = Id
    care_unit_id: str = Id
    service_type: ServiceType
    # The unit's answer-time promise for this e-service (absent from older producers).
    promised_answer_days: int | None = Field(default=None, ge=0, le=365)
    # Set when the received message is the patient's follow-up in an existing conversation.
    follow_up_id: str | None = None


@event("messaging.message_assigned", 1)
class MessageAssigned(EventData):
    conversation_id: str = Id
    message_id: str = Id
    care_unit_id: str = Id
    clinician_id: str = Id


@event("messaging.message_taken_back", 1)
class MessageTakenBack(EventData):
    conversation_id: str = Id
    message_id: str = Id
    care_unit_id: str = Id
    clinician_id: str = Id  # the clinician (or "group:<id>") it was taken from
    # Why: an administrator took it back, or the clinician was marked away.
    reason: Literal["taken_back", "away"] | None = None


@event("messaging.message_pooled", 1)
class MessagePooled(EventData):
    """A message was put in a group's pool (nurses, doctors, ...), by an administrator or,
    for the advice e-service, by the patient's choice of recipient."""

    conversation_id: str = Id
    message_id: str = Id
    care_unit_id: str = Id
    group_id: str = Id


@event("messaging.conversation_closed", 1)
class ConversationClosed(EventData):
    conversation_id: str = Id
    message_id: str = Id
    care_unit_id: str = Id
    closed_at: datetime


@event("messaging.message_overdue", 1)
class MessageOverdue(EventData):
    """The unit's promised answer time for a message has passed unanswered."""

    conversation_id: str = Id
    message_id: str = Id
    care_unit_id: str = Id
    service_type: ServiceType
    due_at: datetime


@event("messaging.clinician_away_changed", 1)
class ClinicianAwayChanged(EventData):
    """A clinician was marked away (or back); `moved` are the messages returned to a pool."""

    care_unit_id: str = Id
    staff_id: str = Id
    away: bool
    moved: list[str] = Field(default_factory=list, max_length=10_000)


@event("messaging.message_opened", 1)
class MessageOpened(EventData):
    """A member of staff read a message's content: the access log record (patientdatalagen)."""

    conversation_id: str = Id
    message_id: str = Id
    care_unit_id: str = Id
    staff_id: str = Id
    staff_role: Role
    # The patient concerned (pseudonym) and why the reader could open it: the audit service
    # pseudonymises its stream and selects reads for review by these. Absent from older
    # producers (the audit service then looks the patient up from the conversation).
    patient_id: str | None = Field(default=None, min_length=1, max_length=100)
    access_basis: Literal["assigned", "group_pool", "administrator"] | None = None
    # The patient's messages this open showed for the first time (the patient's read
    # receipts); absent from older producers, meaning message_id only.
    seen_message_ids: list[str] = Field(default_factory=list, max_length=1000)


@event("messaging.reply_sent", 1)
class ReplySent(EventData):
    conversation_id: str = Id
    message_id: str = Id
    reply_id: str = Id
    patient_id: str = Id
    care_unit_id: str = Id
    clinician_id: str = Id
    sealed_body: Sealed  # sealed to the patient mailbox key
    sent_at: datetime
    # answer | ask (a follow-up question) | close (answer and close); older producers: answer
    action: Literal["answer", "ask", "close"] = "answer"


# notifier ------------------------------------------------------------------------------

@event("notifier.notification_sent", 1)
class NotificationSent(EventData):
    notification_id: str = Id
    recipient_kind: Literal["care_unit", "patient"]
    recipient_ref: str = Id  # unit id or patient pseudonym, never an address
    reason: str  # wire name of the event that caused it
    conversation_id: str = Id


# forms ---------------------------------------------------------------------------------

Audience = Literal["all_residents", "listed_patients"]


@event("forms.form_published", 1)
class FormPublished(EventData):
    """A new immutable version of a unit's form; its content is fetched from forms by id."""

    form_id: str = Id
    version: int = Field(ge=1)
    unit_id: str = Id
    service_type: ServiceType
    published_at: datetime


@event("forms.form_retired", 1)
class FormRetired(EventData):
    """The form takes no new submissions; its versions stay readable for old messages."""

    form_id: str = Id
    unit_id: str = Id
    service_type: ServiceType
    retired_at: datetime


class OfferedService(EventData):
    service_type: ServiceType
    audience: Audience


@event("forms.unit_services_changed", 1)
class UnitServicesChanged(EventData):
    """The complete set of e-services a unit now offers (a snapshot, not a delta)."""

    unit_id: str = Id
    services: list[OfferedService]
    changed_at: datetime


# identity: staff catalogue changes ------------------------------------------------------

@event("identity.staff_membership_changed", 1)
class StaffMembershipChanged(EventData):
    """The complete set of units and roles a staff member now holds (a snapshot, not a
    delta); an empty list means they keep their identity but may act at no unit. Also sent
    when a revoked person is reinstated: tokens from before the revocation stay refused."""

    staff_id: str = Id
    profession: str
    memberships: list[UnitMembership]
    changed_at: datetime


@event("identity.staff_revoked", 1)
class StaffRevoked(EventData):
    """Removed from the catalogue, or their validity ended: every session and token issued
    up to `revoked_at` stops working, and the person holds no role anywhere."""

    staff_id: str = Id
    reason: Literal["removed", "expired"]
    revoked_at: datetime


# identity: patient accounts ------------------------------------------------------------

@event("identity.patient_activated", 1)
class PatientActivated(EventData):
    """A patient set a password with the one-time code from an activation letter: they can
    now log in with personnummer and password, at the reduced level of assurance."""

    patient_id: str = Id
    activated_at: datetime


@event("identity.contact_verification_requested", 1)
class ContactVerificationRequested(EventData):
    """A patient gave an e-mail address; the notifier mails them the link that verifies it.
    The address itself never travels: the notifier asks identity for it over HTTP. The token
    is no medical or personal data, works once and expires (identity keeps only its hash)."""

    patient_id: str = Id
    verification_id: str = Id
    token: str = Field(min_length=20, max_length=100)
    expires_at: datetime


@event("identity.contact_settings_changed", 1)
class ContactSettingsChanged(EventData):
    """A patient's contact settings changed (address saved or verified, choice of mails):
    whoever keeps a copy of them (the notifier's short-lived cache) drops it. Pseudonymous:
    the patient id only, never the address or the choices (the notifier asks identity)."""

    patient_id: str = Id


# messaging: refused staff access --------------------------------------------------------

@event("messaging.access_denied", 1)
class AccessDenied(EventData):
    """A member of staff asked for a message they may not see (it answered 404, as a missing
    one does): logged for the unit that holds the message (patientdatalagen)."""

    message_id: str = Id
    conversation_id: str = Id
    care_unit_id: str = Id
    patient_id: str = Id
    staff_id: str = Id
    operation: Literal["open", "view", "assign", "reply"]


# identity: staff logins ------------------------------------------------------------------

@event("identity.staff_logged_in", 1)
class StaffLoggedIn(EventData):
    staff_id: str = Id
    method: str = Field(min_length=1, max_length=40)
    unit_ids: list[str] = Field(default_factory=list, max_length=200)


@event("identity.staff_login_failed", 1)
class StaffLoginFailed(EventData):
    """A failed staff login; `staff_id` when the HSA-id entered names someone in the
    catalogue (the HSA-id itself is not carried: a mistyped one may be anything)."""

    staff_id: str | None = Field(default=None, min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=60)
    unit_ids: list[str] = Field(default_factory=list, max_length=200)


# audit: the auditors' stream ---------------------------------------------------------------

@event("audit.audit_event_recorded", 1)
class AuditEventRecorded(EventData):
    """One audit record as a FHIR R4 AuditEvent (IHE BALP), for one care unit (`unit_id`;
    None for records that concern no unit). The committed JSON Schema
    schemas/audit-stream/audit-record.schema.json describes the whole Kafka value."""

    seq: int = Field(ge=1)
    record_event_id: str = Id
    unit_id: str | None = Field(default=None, min_length=1, max_length=100)
    resource: dict[str, Any]


# audit: signed checkpoints -----------------------------------------------------------------

@event("audit.checkpoint_signed", 1)
class AuditCheckpointSigned(EventData):
    """The audit log's chain hash at record `seq`, signed with the region's audit key
    (Ed25519 over "mvk-audit-checkpoint/v1\\n{region}\\n{seq}\\n{chain_hash}\\n{signed_at}",
    signed_at as UTC ISO-8601 with microseconds). Kept outside the audit database, these let
    `python -m services.audit verify --from-topic` catch a rewritten or cut-off log."""

    region: str = Id
    seq: int = Field(ge=1)
    chain_hash: str = Field(pattern="^[0-9a-f]{64}$")
    signed_at: datetime
    key_id: str = Field(min_length=1, max_length=64)
    algorithm: Literal["Ed25519"] = "Ed25519"
    signature: str = Field(min_length=1, max_length=100)  # base64


@event("messaging.listing_changed", 1)
class ListingChanged(EventData):
    """A care unit accepted a patient's change of care centre (e-service
    change_care_centre): from `changed_at` the patient is listed at `care_unit_id`.
    identity's population register copy follows, and with it the patient's tokens."""

    conversation_id: str = Id
    message_id: str = Id
    patient_id: str = Id
    care_unit_id: str = Id
    changed_at: datetime


@event("messaging.attachment_opened", 1)
class AttachmentOpened(EventData):
    """A member of staff downloaded an attachment: an access record like MessageOpened."""

    conversation_id: str = Id
    message_id: str = Id  # the case (its first message)
    attachment_id: str = Id
    care_unit_id: str = Id
    staff_id: str = Id
    staff_role: Role


@event("messaging.appointment_proposed", 1)
class AppointmentProposed(EventData):
    """The unit proposes a time in the conversation; `replaces`: the appointment this one
    changes (it ends as "replaced"). Mirrored into the patient mailbox."""

    appointment_id: str = Id
    conversation_id: str = Id
    message_id: str = Id  # the case
    care_unit_id: str = Id
    patient_id: str = Id
    starts_at: datetime
    minutes: int = Field(ge=5, le=480)
    replaces: str | None = Field(default=None, min_length=1, max_length=100)


@event("messaging.appointment_cancelled", 1)
class AppointmentCancelled(EventData):
    """The unit cancelled an appointment (proposed or accepted)."""

    appointment_id: str = Id
    conversation_id: str = Id
    care_unit_id: str = Id
    patient_id: str = Id
    cancelled_at: datetime


@event("messaging.appointment_answered", 1)
class AppointmentAnswered(EventData):
    """The patient accepted or declined a proposed time, or cancelled an accepted one."""

    appointment_id: str = Id
    conversation_id: str = Id
    care_unit_id: str = Id
    patient_id: str = Id
    answer: Literal["accept", "decline", "cancel"]
    answered_at: datetime
