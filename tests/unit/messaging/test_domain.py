"""The conversation and the unit's case, without a database: allowed transitions and the
reasons for refused ones."""

from datetime import UTC, datetime, timedelta

import pytest

from services.messaging.domain import (
    ANSWERED,
    ASSIGNED,
    CLOSED,
    IN_PROGRESS,
    RECEIVED,
    SENT,
    UNASSIGNED,
    UNDELIVERABLE,
    WAITING,
    Case,
    Conversation,
    DomainError,
    due_at,
    overdue,
)

NURSES = frozenset({"nurses"})


# patient side ------------------------------------------------------------------------------

def test_a_conversation_moves_forward_and_never_back_on_late_events():
    c = Conversation(SENT).received().handling_started()
    assert c.status == IN_PROGRESS
    assert c.received().status == IN_PROGRESS  # a late "received" does not step back
    answered = c.unit_replied("answer")
    assert answered.status == ANSWERED
    assert answered.handling_started().status == ANSWERED


@pytest.mark.parametrize("action, status", [("answer", ANSWERED), ("ask", ANSWERED),
                                            ("close", CLOSED)])
def test_the_units_reply_sets_the_patients_status(action, status):
    assert Conversation(IN_PROGRESS).unit_replied(action).status == status


@pytest.mark.parametrize("status, can", [(SENT, False), (RECEIVED, True), (IN_PROGRESS, True),
                                         (ANSWERED, True), (CLOSED, False),
                                         (UNDELIVERABLE, False)])
def test_the_patient_may_write_while_the_unit_holds_an_open_conversation(status, can):
    assert Conversation(status).can_reply is can
    if can:
        assert Conversation(status).patient_writes().status == SENT
    else:
        with pytest.raises(DomainError) as refused:
            Conversation(status).patient_writes()
        assert refused.value.status == 409 and refused.value.reason


def test_closed_names_itself_in_the_refusal():
    with pytest.raises(DomainError, match="closed"):
        Conversation(CLOSED).patient_writes()


def test_only_a_message_on_its_way_becomes_undeliverable():
    assert Conversation(SENT).undeliverable().status == UNDELIVERABLE
    assert Conversation(ANSWERED).undeliverable().status == ANSWERED


# care-unit side ------------------------------------------------------------------------------

def test_assign_take_back_and_reassign():
    case = Case(UNASSIGNED).assign_to_clinician("doc", member_of_group=False, away=False)
    assert (case.status, case.assigned_to) == (ASSIGNED, "doc")
    back = case.take_back()
    assert (back.status, back.assigned_to) == (UNASSIGNED, None)
    assert back.assign_to_clinician("nurse", member_of_group=False, away=False).assigned_to \
        == "nurse"


def test_the_second_assignment_is_refused_and_names_who_has_it():
    case = Case(UNASSIGNED).assign_to_clinician("doc", member_of_group=False, away=False)
    with pytest.raises(DomainError, match="clinician doc") as refused:
        case.assign_to_clinician("nurse", member_of_group=False, away=False)
    assert refused.value.status == 409
    with pytest.raises(DomainError, match="clinician doc"):
        case.assign_to_group("nurses")


def test_group_pool_then_a_member_of_that_group_only():
    pooled = Case(UNASSIGNED).assign_to_group("nurses")
    assert (pooled.status, pooled.group_id) == (UNASSIGNED, "nurses")
    with pytest.raises(DomainError, match="pool of group nurses"):
        pooled.assign_to_clinician("doc", member_of_group=False, away=False)
    with pytest.raises(DomainError, match="pool of group nurses"):
        pooled.assign_to_group("doctors")
    taken = pooled.assign_to_clinician("nurse", member_of_group=True, away=False)
    assert (taken.assigned_to, taken.group_id) == ("nurse", "nurses")
    assert taken.take_back() == pooled  # back to the group's pool, not the general one
    assert pooled.take_back() == Case(UNASSIGNED)


def test_nothing_is_assigned_to_someone_away_or_in_a_closed_conversation():
    with pytest.raises(DomainError, match="away"):
        Case(UNASSIGNED).assign_to_clinician("doc", member_of_group=False, away=True)
    with pytest.raises(DomainError, match="closed"):
        Case(CLOSED).assign_to_clinician("doc", member_of_group=False, away=False)
    with pytest.raises(DomainError, match="nothing to take back"):
        Case(UNASSIGNED).take_back()


@pytest.mark.parametrize("action, status", [("answer", ANSWERED), ("ask", WAITING),
                                            ("close", CLOSED)])
def test_the_holder_replies(action, status):
    case = Case(ASSIGNED, assigned_to="doc").reply("doc", frozenset(), action)
    assert (case.status, case.assigned_to) == (status, "doc")


def test_only_the_holder_or_the_pools_group_may_reply():
    with pytest.raises(DomainError, match="clinician doc"):
        Case(ASSIGNED, assigned_to="doc").reply("nurse", NURSES, "answer")
    pooled = Case(UNASSIGNED, group_id="nurses")
    assert pooled.reply("nurse", NURSES, "answer").assigned_to == "nurse"
    with pytest.raises(DomainError):
        pooled.reply("doc", frozenset({"doctors"}), "answer")
    with pytest.raises(DomainError):
        Case(UNASSIGNED).reply("doc", frozenset(), "answer")  # general pool: assign first


def test_a_second_answer_needs_the_patient_to_write_first():
    answered = Case(ASSIGNED, assigned_to="doc").reply("doc", frozenset(), "answer")
    with pytest.raises(DomainError, match="has not written"):
        answered.reply("doc", frozenset(), "answer")
    again = answered.patient_wrote(holder_away=False)
    assert (again.status, again.assigned_to) == (ASSIGNED, "doc")
    assert again.reply("doc", frozenset(), "close").status == CLOSED


def test_the_patient_writing_reopens_to_the_pool_when_the_holder_is_away():
    waiting = Case(WAITING, assigned_to="doc", group_id="doctors")
    back = waiting.patient_wrote(holder_away=True)
    assert (back.status, back.assigned_to, back.group_id) == (UNASSIGNED, None, "doctors")


def test_close_from_any_open_state_but_only_once():
    for status in (UNASSIGNED, ASSIGNED, ANSWERED, WAITING):
        assert Case(status, assigned_to="doc").close().status == CLOSED
    with pytest.raises(DomainError, match="closed"):
        Case(CLOSED).close()


def test_away_returns_only_that_clinicians_unanswered_messages():
    assert Case(ASSIGNED, assigned_to="doc").clinician_away("doc") == Case(UNASSIGNED)
    assert Case(ASSIGNED, assigned_to="doc", group_id="doctors").clinician_away("doc") == \
        Case(UNASSIGNED, group_id="doctors")
    for untouched in (Case(ASSIGNED, assigned_to="other"), Case(ANSWERED, assigned_to="doc"),
                      Case(WAITING, assigned_to="doc")):
        assert untouched.clinician_away("doc") == untouched


def test_overdue_only_while_unanswered_and_past_the_promise():
    received = datetime(2026, 1, 5, 9, tzinfo=UTC)
    due = due_at(received, 3)
    assert due == received + timedelta(days=3)
    later = due + timedelta(seconds=1)
    assert overdue(Case(ASSIGNED, assigned_to="doc"), due, later)
    assert not overdue(Case(ASSIGNED, assigned_to="doc"), due, due)
    assert not overdue(Case(ANSWERED, assigned_to="doc"), due, later)
    assert not overdue(Case(UNASSIGNED), None, later)
    assert due_at(received, None) is None
