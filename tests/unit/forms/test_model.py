"""Structural rules of a form definition (what FHIR leaves to the author)."""

import pytest
from pydantic import ValidationError

from services.forms.domain.model import DefinitionError, FormDefinition, Item, Text
from services.forms.templates.builder import display
from tests.unit.forms.helpers import choice, form, group, q, text, when, yes_no

N = ("Tal", "Number")


def problems(*items: Item) -> str:
    with pytest.raises(DefinitionError) as exc:
        form(*items)
    return str(exc.value)


def test_a_well_formed_form_passes():
    assert form(yes_no(), q("n", "integer", N, show=when("yn", "=", "yes"))).items


def test_duplicate_link_ids_are_refused():
    assert "duplicate linkId" in problems(q("a", "string", N), group(
        "g", N, q("a", "string", N)))


@pytest.mark.parametrize("items, expected", [
    ((q("n", "integer", N, show=when("later", "exists", True)), q("later", "string", N)),
     "earlier question"),
    ((display("d", N), q("n", "integer", N, show=when("d", "exists", True))), "not a question"),
    ((yes_no(), q("n", "integer", N, show=when("yn", ">", "yes"))), "cannot compare choice"),
    ((q("b", "boolean", N), q("n", "integer", N, show=when("b", "<", True))),
     "cannot compare boolean"),
    ((q("i", "integer", N), q("n", "string", N, show=when("i", "=", "ten"))), "does not fit"),
    ((yes_no(), q("n", "string", N, show=when("yn", "=", "maybe"))), "does not fit"),
    ((q("d", "date", N), q("n", "string", N, show=when("d", "=", "2025-02-30"))),
     "does not fit"),
    ((q("s", "string", N), q("n", "string", N, show=when("s", "exists", "yes"))),
     "'exists' takes true or false"),
])
def test_enable_when_must_point_back_at_a_fitting_question(items, expected):
    assert expected in problems(*items)


def test_enable_when_cannot_refer_to_the_item_itself():
    assert "earlier question" in problems(q("a", "integer", N, show=when("a", "=", 1)))


@pytest.mark.parametrize("item, expected", [
    (q("c", "choice", N), "answer options"),
    (choice("s", N, [("a", "A", "A")]).model_copy(update={"type": "string"}), "answer options"),
    (choice("c", N, [("a", "A", "A"), ("a", "B", "B")]), "duplicate option"),
    (q("i", "integer", N, max_length=3), "maxLength"),
    (q("s", "string", N, min_value=1), "min/max"),
    (q("s", "string", N, max_size=10), "attachments"),
    (display("d", N).model_copy(update={"required": True}), "display items"),
    (Item(link_id="g", type="group", text=text(N)), "needs child items"),
    (Item(link_id="s", type="display", text=text(N), items=(q("x", "string", N),)),
     "display items have no child items"),

    (q("c", "choice", N, options=(), control="slider"), "needed by"),
    (q("r", "integer", N, regex="a+"), "regex applies"),
    (q("r", "string", N, regex="(a"), "not a valid regular expression"),
    (q("s", "integer", N, control="slider"), "minValue and maxValue"),
    (q("d", "date", N, max_decimal_places=2), "maxDecimalPlaces"),
])
def test_item_rules(item, expected):
    assert expected in problems(item)


def test_all_problems_are_reported_together():
    error = problems(q("c", "choice", N), q("i", "integer", N, max_length=3))
    assert "c:" in error and "i:" in error


def test_texts_need_both_languages_and_link_ids_a_safe_shape():
    with pytest.raises(ValidationError):
        Text(sv="Hej", en="")
    with pytest.raises(ValidationError):
        q("bad id<script>", "string", N)
    with pytest.raises(ValidationError):
        FormDefinition(title=text(N), items=())
