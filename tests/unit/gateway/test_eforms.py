"""An e-service form's posted fields -> enabled items and the QuestionnaireResponse that
forms validates (conditions evaluated as forms evaluates them)."""

from __future__ import annotations

from services.forms.domain.model import FormDefinition
from services.forms.domain.validate import validate_response
from services.gateway.ui import eforms


def t(text: str) -> dict[str, str]:
    return {"sv": text, "en": text}


FORM = FormDefinition.model_validate({"title": t("F"), "items": [
    {"link_id": "pain", "type": "boolean", "required": True, "text": t("Pain?")},
    {"link_id": "level", "type": "integer", "required": True, "text": t("Level"),
     "enable_when": [{"question": "pain", "operator": "=", "answer": True}]},
    {"link_id": "temp", "type": "decimal", "text": t("Temp")},
    {"link_id": "when", "type": "dateTime", "text": t("When")},
    {"link_id": "kind", "type": "choice", "repeats": True, "text": t("Kind"),
     "options": [{"code": "a", "text": t("A")}, {"code": "b", "text": t("B")}]},
    {"link_id": "g", "type": "group", "text": t("G"),
     "enable_when": [{"question": "kind", "operator": "=", "answer": "b"}],
     "items": [{"link_id": "street", "type": "string", "required": True, "text": t("S")}]},
]})


def posted(**fields: list[str]) -> dict[str, list[str]]:
    return {f"q.{k}": v for k, v in fields.items()}


def test_conditions_follow_the_answers() -> None:
    assert {"level", "g", "street"}.isdisjoint(eforms.enabled(FORM, {}))
    raw = eforms.raw_values(FORM, posted(pain=["yes"], kind=["a", "b"]))
    on = eforms.enabled(FORM, raw)
    assert {"level", "g", "street"} <= on
    assert eforms.condition_sources(FORM) == {"pain", "kind"}


def test_a_complete_answer_set_passes_forms_validation() -> None:
    raw = eforms.raw_values(FORM, posted(pain=["yes"], level=["4"], temp=["38,5"],
                                         when=["2025-03-02 14:30"], kind=["b"],
                                         street=["Gatan 1"], unknown=["x"]))
    response = eforms.response(FORM, raw, eforms.enabled(FORM, raw))
    assert validate_response(FORM, response) == []
    items = {i["linkId"]: i for i in response["item"]}
    assert items["temp"]["answer"] == [{"valueDecimal": 38.5}]
    assert items["when"]["answer"][0]["valueDateTime"].startswith("2025-03-02T14:30:00+01:00")
    assert items["g"]["item"][0]["answer"] == [{"valueString": "Gatan 1"}]


def test_answers_to_disabled_items_are_left_out_and_bad_values_reach_validation() -> None:
    raw = eforms.raw_values(FORM, posted(pain=["no"], level=["7"], temp=["warm"]))
    response = eforms.response(FORM, raw, eforms.enabled(FORM, raw))
    assert "level" not in {i["linkId"] for i in response["item"]}
    errors = validate_response(FORM, response, lang="en")
    assert [e.link_id for e in errors] == ["temp"]  # named, so the page shows it there
