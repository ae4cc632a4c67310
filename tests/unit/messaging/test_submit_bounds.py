"""A submission's answers are bounded before anything else looks at them, so no patient can
make an event larger than the broker takes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.messaging.patient.api import MAX_ANSWERS_BYTES, SubmitMessage

BASE = {"care_unit_id": "SE-1", "service_type": "book_appointment",
        "form": {"form_id": "f", "version": 1}}


def answers(size: int) -> dict:
    return {"resourceType": "QuestionnaireResponse",
            "item": [{"linkId": "a", "answer": [{"valueString": "x" * size}]}]}


def test_answers_within_the_bound_are_taken():
    assert SubmitMessage.model_validate({**BASE, "answers": answers(10_000)}).answers


@pytest.mark.parametrize("bad", [answers(MAX_ANSWERS_BYTES),
                                 {f"k{i}": 1 for i in range(100)}])
def test_oversized_answers_or_too_many_keys_are_refused(bad):
    with pytest.raises(ValidationError):
        SubmitMessage.model_validate({**BASE, "answers": bad})
