"""Small pure pieces of the mailboxes: cursors, template variables, the advice pool."""

from datetime import UTC, datetime

import pytest

from services.messaging import paging
from services.messaging.careunit.handlers import advice_recipient
from services.messaging.careunit.templates import unknown_variables
from shared.errors import CommandError
from tests.unit.forms.samples import SAMPLES


def test_a_cursor_round_trips_and_a_forged_one_is_a_clear_422():
    at = datetime(2026, 12, 1, 1, 2, 3, 456789, tzinfo=UTC)
    assert paging.decode(paging.encode(at, "m-1")) == (at, "m-1")
    assert paging.decode(None) is None
    for bad in ("not-a-cursor", "W10", paging.encode(at, "x")[:-3]):
        with pytest.raises(CommandError) as refused:
            paging.decode(bad)
        assert refused.value.status == 422


def test_a_page_says_whether_there_is_more():
    rows = list(range(5))
    assert paging.page(rows, 5, lambda r: (datetime.now(UTC), str(r))) == (rows, None)
    first, cursor = paging.page(rows, 3, lambda r: (datetime(2026, 1, 1, tzinfo=UTC), str(r)))
    assert first == [0, 1, 2] and paging.decode(cursor)[1] == "2"


def test_templates_may_use_only_the_known_variables():
    assert unknown_variables("Hej! {clinician_name}, {unit_name}, {date}") == []
    assert unknown_variables("Hej {patient_first_name} {clinican_name}") == [
        "clinican_name", "patient_first_name"]
    with pytest.raises(CommandError):
        unknown_variables("unbalanced {")


def test_the_advice_forms_choice_of_recipient_is_found():
    assert advice_recipient(SAMPLES["advice"]) == "nurse"
    assert advice_recipient(SAMPLES["renew_prescription"]) is None
    assert advice_recipient(None) is None
