"""Which contracts travel on which topic: the emitting service's topic for each of its
events. Consumers are checked against this at start-up (shared.events.wiring), so a new
contract must be listed here to be published; tests/unit/sharedlib/test_event_wiring.py
fails when a registered contract is on no topic."""

from __future__ import annotations

from shared.events import contracts as c
from shared.events import topics
from shared.events.envelope import EventData

# Another region's events that routing hands over onto its own region's routing topic,
# envelopes unchanged (their source names the other region's service): the units and keys
# of other regions, and the events of conversations between a patient and a unit of two
# regions (docs/regions.md). Consumers of the routing topic handle them as they would from
# the owning topic in one region.
RELAYED: tuple[type[EventData], ...] = (
    c.CareUnitRegistered, c.UnitServicesChanged, c.MailboxKeyPublished,  # the directory
    c.PatientReplied, c.MessageRead,  # patient to unit
    c.MessageReceived, c.MessageAssigned, c.ConversationClosed, c.MessageOpened,  # unit to
    c.ReplySent)  # patient

CONTRACTS_ON: dict[str, tuple[type[EventData], ...]] = {
    topics.IDENTITY: (c.CareUnitRegistered, c.PatientRegistered, c.StaffRegistered,
                      c.StaffMembershipChanged, c.StaffRevoked, c.PatientActivated,
                      c.ContactVerificationRequested, c.StaffLoggedIn, c.StaffLoginFailed,
                      c.ContactSettingsChanged),
    topics.FORMS: (c.FormPublished, c.FormRetired, c.UnitServicesChanged),
    topics.PATIENT_MAILBOX: (c.MailboxKeyPublished, c.MessageSubmitted, c.MessageRead,
                             c.ReplyDelivered, c.PatientReplied, c.AppointmentAnswered),
    topics.CAREUNIT_MAILBOX: (c.MailboxKeyPublished, c.MessageReceived, c.MessageAssigned,
                              c.MessageTakenBack, c.MessageOpened, c.ReplySent, c.MessagePooled,
                              c.ConversationClosed, c.MessageOverdue, c.ClinicianAwayChanged,
                              c.AccessDenied, c.ListingChanged, c.AttachmentOpened,
                              c.AppointmentProposed, c.AppointmentCancelled),
    topics.ROUTING: (c.MessageRouted, c.MessageUnroutable, *RELAYED),
    topics.NOTIFIER: (c.NotificationSent,),
    topics.AUDIT: (c.AuditEventRecorded, c.AuditCheckpointSigned),
}
