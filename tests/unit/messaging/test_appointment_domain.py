"""Appointment states without a database: what the patient and the unit may do when."""

from __future__ import annotations

import pytest

from services.messaging import appointment_domain as a
from services.messaging.domain import DomainError


def test_the_patient_accepts_or_declines_a_proposal_and_cancels_an_accepted_time() -> None:
    assert a.patient_answers(a.PROPOSED, "accept") == a.ACCEPTED
    assert a.patient_answers(a.PROPOSED, "decline") == a.DECLINED
    assert a.patient_answers(a.ACCEPTED, "cancel") == a.CANCELLED


@pytest.mark.parametrize("status, answer", [
    (a.ACCEPTED, "accept"), (a.DECLINED, "accept"), (a.CANCELLED, "decline"),
    (a.PROPOSED, "cancel"), (a.REPLACED, "accept")])
def test_answers_the_state_does_not_allow_are_refused(status: str, answer: str) -> None:
    with pytest.raises(DomainError):
        a.patient_answers(status, answer)


def test_the_unit_cancels_or_changes_only_live_appointments() -> None:
    assert a.unit_cancels(a.ACCEPTED) == a.unit_cancels(a.PROPOSED) == a.CANCELLED
    assert a.replaced(a.PROPOSED) == a.replaced(a.ACCEPTED) == a.REPLACED
    for dead in (a.DECLINED, a.CANCELLED, a.REPLACED):
        with pytest.raises(DomainError):
            a.unit_cancels(dead)
        with pytest.raises(DomainError):
            a.replaced(dead)
