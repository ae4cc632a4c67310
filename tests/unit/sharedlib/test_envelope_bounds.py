"""The envelope's actor id is bounded by what the audit log stores, so an overlong one is
refused where the event is made (a ValidationError in the producer's own transaction, which
then writes nothing) rather than dead-lettered by the audit consumer later."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.audit.tables import records
from shared.events import Actor, Source, new_event
from shared.events.contracts import PatientRegistered
from shared.events.envelope import ACTOR_ID_MAX


def test_the_bound_is_the_audit_columns_length() -> None:
    assert records.c.actor_id.type.length == ACTOR_ID_MAX


def test_an_actor_id_within_the_bound_makes_an_event() -> None:
    event = new_event(PatientRegistered(patient_id="p"), source=Source(service="s", region="r"),
                      subject="p", actor=Actor(id="x" * ACTOR_ID_MAX, role="patient"))
    assert len(event.actor.id) == ACTOR_ID_MAX


@pytest.mark.parametrize("actor_id", ["", "x" * (ACTOR_ID_MAX + 1)])
def test_an_empty_or_overlong_actor_id_is_refused(actor_id: str) -> None:
    with pytest.raises(ValidationError, match="id"):
        Actor(id=actor_id, role="staff")
