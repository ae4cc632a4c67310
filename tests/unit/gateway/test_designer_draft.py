"""The designer's draft edits (pure): items found by link id at any depth, moved among their
siblings, removed, and saved from the posted fields (texts in both languages, options,
conditions typed for the question they look at); the result passes forms' own checks."""

from __future__ import annotations

import pytest

from services.forms.domain.model import FormDefinition, check_definition
from services.forms.library import BUILTIN
from services.gateway.ui import designer_draft as draft


def definition() -> dict:
    return BUILTIN["advice"].model_dump(mode="json")


def ids(d: dict) -> list[str]:
    return [i["link_id"] for i, _ in draft.walk(d["items"])]


def test_move_swaps_with_the_neighbour_and_stops_at_the_ends() -> None:
    d = definition()
    first, second = d["items"][0]["link_id"], d["items"][1]["link_id"]
    moved = draft.move(d, first, +1)
    assert [i["link_id"] for i in moved["items"][:2]] == [second, first]
    assert draft.move(d, first, -1) == d  # already first
    assert d["items"][0]["link_id"] == first  # the input is never changed


def test_remove_and_unknown_items() -> None:
    d = definition()
    last = d["items"][-1]["link_id"]
    assert last not in ids(draft.remove(d, last))
    with pytest.raises(draft.EditError):
        draft.remove(d, "no-such-item")


def test_a_new_item_with_options_and_a_condition_passes_the_forms_checks() -> None:
    d = definition()
    d, _ = draft.put_item(d, None, {
        "link_id": ["feber"], "type": ["boolean"], "text_sv": ["Har du feber?"],
        "text_en": ["Do you have a fever?"], "required": ["yes"]})
    d, new_id = draft.put_item(d, None, {
        "link_id": ["grad"], "type": ["choice"], "text_sv": ["Hur hög?"],
        "text_en": ["How high?"], "options": ["lag | Låg | Low\nhog | Hög | High\n"],
        "cond_question": ["feber", ""], "cond_operator": ["=", "="],
        "cond_answer": ["ja", ""], "enable_behavior": ["any"]})
    item = draft.find(d, new_id)
    assert item["enable_when"] == [{"question": "feber", "operator": "=", "answer": True}]
    assert item["enable_behavior"] == "any"
    assert [o["code"] for o in item["options"]] == ["lag", "hog"]
    assert draft.options_text(item).splitlines()[1] == "hog | Hög | High"
    check_definition(FormDefinition.model_validate(d))


@pytest.mark.parametrize("fields, problem", [
    ({"link_id": ["a b"], "text_sv": ["x"], "text_en": ["y"]}, "without spaces"),
    ({"link_id": ["ny"], "text_sv": ["bara svenska"]}, "both Swedish and English"),
    ({"link_id": ["ny"], "type": ["choice"], "text_sv": ["x"], "text_en": ["y"],
      "options": ["bara en kod"]}, "code | Swedish text"),
    ({"link_id": ["ny"], "text_sv": ["x"], "text_en": ["y"], "cond_question": ["okänd"],
      "cond_operator": ["="], "cond_answer": ["1"]}, "earlier question"),
])
def test_bad_input_is_refused_with_a_reason(fields: dict, problem: str) -> None:
    with pytest.raises(draft.EditError, match=problem):
        draft.put_item(definition(), None, fields)


def test_editing_keeps_what_the_page_does_not_show() -> None:
    d = definition()
    choice = next(i for i, _ in draft.walk(d["items"]) if i["type"] == "choice")
    first = choice["options"][0]
    lines = draft.options_text(choice).splitlines()
    lines[0] = f"{first['code']} | Ny text | New text"
    changed, _ = draft.put_item(d, choice["link_id"], {
        "type": ["choice"], "text_sv": [choice["text"]["sv"]], "text_en": ["Changed"],
        "options": ["\n".join(lines)]})
    saved = draft.find(changed, choice["link_id"])
    assert saved["options"][0] == {**first, "text": {**first["text"], "sv": "Ny text",
                                                      "en": "New text"}}
    assert saved["text"]["en"] == "Changed" and saved["link_id"] == choice["link_id"]
