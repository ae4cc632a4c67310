"""The catalogue's pure rules: effective memberships on a day, and which event announces a
change (registered, changed, revoked, or none)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.identity.catalogue.model import Validity
from services.identity.catalogue.rules import Announced, decide, effective, today

DAY = date(2026, 3, 1)
OPEN = Validity()


def window(start: date | None = None, end: date | None = None) -> Validity:
    return Validity(valid_from=start, valid_to=end)


def test_validity_dates_are_inclusive() -> None:
    assert window(DAY, DAY).covers(DAY)
    assert not window(end=date(2026, 2, 28)).covers(DAY)
    assert not window(start=date(2026, 3, 2)).covers(DAY)


def test_the_day_is_the_swedish_calendar_day() -> None:
    # 23:30 UTC on 28 February is already 1 March in Stockholm.
    assert today(datetime(2026, 2, 28, 23, 30, tzinfo=UTC)) == DAY


def test_effective_memberships_keep_only_what_holds_today() -> None:
    held = [("U2", ["clinician"], window(end=date(2026, 2, 1))),
            ("U1", ["message_administrator", "clinician"], OPEN),
            ("U3", ["auditor"], window(start=date(2026, 4, 1)))]
    assert effective(OPEN, held, DAY, removed=False) == {
        "U1": ["clinician", "message_administrator"]}


@pytest.mark.parametrize(("person", "removed"), [(OPEN, True), (window(end=date(2026, 1, 1)),
                                                                False),
                                                 (window(start=date(2027, 1, 1)), False)])
def test_a_removed_or_invalid_person_holds_nothing(person: Validity, removed: bool) -> None:
    assert effective(person, [("U1", ["clinician"], OPEN)], DAY, removed=removed) is None


ACTIVE = Announced(active=True, profession="nurse", units={"U1": ["clinician"]})


@pytest.mark.parametrize(("announced", "profession", "target", "expected"), [
    (None, "nurse", {"U1": ["clinician"]}, "registered"),
    (None, "nurse", None, None),  # not yet valid: nothing to say
    (ACTIVE, "nurse", {"U1": ["clinician"]}, None),
    (ACTIVE, "nurse", {}, "changed"),  # removed from the unit
    (ACTIVE, "nurse", {"U1": ["clinician"], "U2": ["clinician"]}, "changed"),
    (ACTIVE, "doctor", {"U1": ["clinician"]}, "changed"),
    (ACTIVE, "nurse", None, "revoked"),
    (Announced(active=False, profession="nurse", units={}), "nurse", None, None),
    (Announced(active=False, profession="nurse", units={}), "nurse", {"U1": ["clinician"]},
     "changed"),  # reinstated
])
def test_decide(announced, profession, target, expected) -> None:
    assert decide(announced, profession, target) == expected


units = st.dictionaries(st.sampled_from(["U1", "U2", "U3"]),
                        st.lists(st.sampled_from(["clinician", "auditor"]), min_size=1,
                                 max_size=1), max_size=3)
states = st.one_of(st.none(), st.builds(Announced, active=st.booleans(),
                                        profession=st.sampled_from(["nurse", "doctor"]),
                                        units=units))


@given(states, st.one_of(st.none(), units), st.sampled_from(["nurse", "doctor"]))
def test_announcing_the_decision_leaves_nothing_more_to_say(announced, target, profession):
    change = decide(announced, profession, target)
    if change is None:
        return
    after = Announced(active=target is not None, profession=profession, units=target or {})
    assert decide(after, profession, target) is None
