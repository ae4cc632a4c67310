"""Who may use a unit's e-service: all residents, or only the patients listed at the unit
(the rule the patient mailbox applies before anything is stored)."""

from __future__ import annotations

import pytest

from services.messaging.patient.offers import Offer, refusal

UNIT = "SE2321000016-TEST3"


def offer(audience: str) -> Offer:
    return Offer("renew_prescription", "form-1", 1, audience)


@pytest.mark.parametrize("listed_unit", [None, UNIT, "SE2321000016-TEST1"])
def test_all_residents_is_open_to_everyone(listed_unit) -> None:
    assert refusal(offer("all_residents"), UNIT, listed_unit) is None


def test_listed_patients_only_is_for_those_listed_at_the_unit() -> None:
    assert refusal(offer("listed_patients"), UNIT, UNIT) is None


@pytest.mark.parametrize("listed_unit", [None, "SE2321000016-TEST1", UNIT.lower(), ""])
def test_anyone_else_is_told_why(listed_unit) -> None:
    reason = refusal(offer("listed_patients"), UNIT, listed_unit)
    assert reason is not None and "listed" in reason and UNIT in reason


def test_an_audience_the_mailbox_does_not_know_is_closed() -> None:
    assert refusal(offer("staff_only"), UNIT, UNIT) is not None


def test_offers_default_to_all_residents() -> None:
    # Before forms has spoken about a unit, its services are open to all residents.
    assert Offer("advice", None, None).audience == "all_residents"
