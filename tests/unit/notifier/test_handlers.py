from datetime import UTC, datetime

from services.notifier.domain import (
    FAILED,
    PENDING,
    REMINDER,
    VERIFICATION,
    notification_for,
    patient_wants,
    retry_delay_s,
    state_after_failure,
    template_for,
)
from services.notifier.handlers import make_handlers
from shared.crypto.sealing import Sealed
from shared.events import Source, decode_data, new_event
from shared.events.contracts import (
    ContactSettingsChanged,
    ContactVerificationRequested,
    MessageOverdue,
    MessageRead,
    MessageReceived,
    ReplyDelivered,
    ReplySent,
)
from shared.ids import derived_uuid7

SOURCE = Source(service="careunit-mailbox", region="stockholm")


def received():
    return new_event(MessageReceived(conversation_id="c1", message_id="m1",
                                     care_unit_id="unit-1", service_type="advice"),
                     source=SOURCE, subject="c1")


def delivered():
    return new_event(ReplyDelivered(conversation_id="c2", reply_id="r1", patient_id="pat-9",
                                    care_unit_id="unit-1"), source=SOURCE, subject="c2")


class FakeStore:
    def __init__(self) -> None:
        self.added = []

    async def add(self, conn, notification) -> None:
        self.added.append((conn, notification))


async def test_message_received_records_one_pending_notification_for_the_unit():
    fake, conn, envelope = FakeStore(), object(), received()
    handlers = make_handlers(fake.add)
    data = decode_data(envelope)
    await handlers[type(data)](conn, envelope, data)
    [(used_conn, n)] = fake.added
    assert used_conn is conn  # written in the inbox's transaction
    assert (n.recipient_kind, n.recipient_ref, n.conversation_id) == ("care_unit", "unit-1", "c1")
    assert n.notification_id == derived_uuid7(envelope.event_id, "notify")
    assert n.reason == "messaging.message_received.v1"
    assert n.correlation_id == envelope.correlation_id


async def test_reply_delivered_notifies_the_patient_by_pseudonym():
    fake, envelope = FakeStore(), delivered()
    data = decode_data(envelope)
    await make_handlers(fake.add)[type(data)](None, envelope, data)
    [(_, n)] = fake.added
    assert (n.recipient_kind, n.recipient_ref) == ("patient", "pat-9")


def test_only_the_notifying_events_and_the_read_receipt_have_handlers():
    assert set(make_handlers()) == {MessageReceived, ReplyDelivered, MessageOverdue, MessageRead,
                                    ContactVerificationRequested, ContactSettingsChanged}


async def test_a_contact_settings_change_is_handed_on_with_the_patient_id():
    changed: list[str] = []

    async def contact_changed(conn, patient_id: str) -> None:
        changed.append(patient_id)
    envelope = new_event(ContactSettingsChanged(patient_id="pat-9"), source=SOURCE,
                         subject="pat-9")
    await make_handlers(contact_changed=contact_changed)[ContactSettingsChanged](
        None, envelope, decode_data(envelope))
    assert changed == ["pat-9"]


async def test_a_verification_request_records_a_mail_with_its_token_but_no_address():
    fake = FakeStore()
    envelope = new_event(ContactVerificationRequested(
        patient_id="pat-9", verification_id="v-1", token="t" * 43,
        expires_at=datetime.now(UTC)), source=SOURCE, subject="pat-9")
    await make_handlers(fake.add)[ContactVerificationRequested](None, envelope,
                                                                decode_data(envelope))
    [(_, n)] = fake.added
    assert (n.recipient_kind, n.recipient_ref, n.conversation_id) == ("patient", "pat-9", "v-1")
    assert n.link_token == "t" * 43 and n.reason == VERIFICATION
    assert template_for(n.recipient_kind, n.reason) == "contact_verification.html"


def test_the_patients_choices_decide_answer_and_reminder_mails_only():
    assert patient_wants("messaging.reply_delivered.v1", {"answer": True})
    assert not patient_wants("messaging.reply_delivered.v1", {"answer": False})
    assert not patient_wants(REMINDER, {"answer": True, "reminder": False})
    assert patient_wants(REMINDER, {})  # no choice made: identity's default is yes
    assert patient_wants(VERIFICATION, {"answer": False, "reminder": False})


async def test_a_broken_promise_notifies_the_unit_with_its_own_template():
    fake, envelope = FakeStore(), new_event(MessageOverdue(
        conversation_id="c3", message_id="m3", care_unit_id="unit-1", service_type="advice",
        due_at=datetime.now(UTC)), source=SOURCE, subject="c3")
    await make_handlers(fake.add)[MessageOverdue](None, envelope, decode_data(envelope))
    [(_, n)] = fake.added
    assert (n.recipient_kind, n.recipient_ref) == ("care_unit", "unit-1")
    assert template_for(n.recipient_kind, n.reason) == "unit_overdue.html"
    assert template_for("care_unit", "messaging.message_received.v1") == "unit_new_message.html"


def test_other_events_call_for_no_notification():
    envelope = new_event(ReplySent(
        conversation_id="c", message_id="m", reply_id="r", patient_id="p", care_unit_id="u",
        clinician_id="s", sealed_body=Sealed(key_id="k", ciphertext="eA"),
        sent_at=datetime.now(UTC)), source=SOURCE, subject="c")
    assert notification_for(envelope, decode_data(envelope)) is None


def test_backoff_grows_and_is_capped_then_gives_up():
    assert [retry_delay_s(n) for n in (1, 2, 3)] == [2.0, 4.0, 8.0]
    assert retry_delay_s(30) == 600.0
    assert state_after_failure(3, 20) == PENDING and state_after_failure(20, 20) == FAILED
