"""Which contracts travel on which topic: the emitting service's topic for each of its
events. Consumers are checked against this at start-up (shared.events.wiring), so a new
contract must be listed here to be published; tests/unit/sharedlib/test_event_wiring.py
fails when a registered contract is on no topic."""

from __future__ import annotations

from shared.events import contracts as c
from shared.events import topics
from shared.events.envelope import EventData

CONTRACTS_ON: dict[str, tuple[type[EventData], ...]] = {
    topics.IDENTITY: (c.CareUnitRegistered, c.PatientRegistered, c.StaffRegistered,
                      c.StaffMembershipChanged, c.StaffRevoked, c.PatientActivated,
                      c.ContactVerificationRequested),
    topics.FORMS: (c.FormPublished, c.FormRetired, c.UnitServicesChanged),
    topics.PATIENT_MAILBOX: (c.MailboxKeyPublished, c.MessageSubmitted, c.MessageRead,
                             c.ReplyDelivered, c.PatientReplied, c.AppointmentAnswered),
    topics.CAREUNIT_MAILBOX: (c.MailboxKeyPublished, c.MessageReceived, c.MessageAssigned,
                              c.MessageTakenBack, c.MessageOpened, c.ReplySent, c.MessagePooled,
                              c.ConversationClosed, c.MessageOverdue, c.ClinicianAwayChanged,
                              c.ListingChanged, c.AttachmentOpened, c.AppointmentProposed,
                              c.AppointmentCancelled),
    topics.ROUTING: (c.MessageRouted, c.MessageUnroutable),
    topics.NOTIFIER: (c.NotificationSent,),
    topics.AUDIT: (),
}
