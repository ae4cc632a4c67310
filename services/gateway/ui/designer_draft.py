"""Editing a form draft as the designer's pages post it: pure functions on the native
definition (the forms service's JSON shape), one edit at a time. The forms service checks
the result when it is saved (unique link ids, conditions pointing at earlier questions,
options only on choice items) and its answer is shown to the designer.

Items are found by link id (unique in a form), so nested items edit like top-level ones;
moving swaps an item with its neighbour among its siblings."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from services.forms.domain.model import CHOICE_TYPES, QUESTION_TYPES
from services.gateway.ui.i18n import _l

# The item types a designer picks from (a group is edited, not added: it needs children).
ITEM_TYPES = ("string", "text", "boolean", "integer", "decimal", "date", "dateTime", "time",
              "choice", "open-choice", "display")
OPERATORS = ("=", "!=", ">", "<", ">=", "<=", "exists")
MAX_CONDITIONS = 5
MAX_OPTIONS = 100
TEXT_MAX = 4000


class EditError(ValueError):
    """An edit that cannot be applied (unknown item, bad input); the message is a msgid."""


def walk(items: list[dict[str, Any]], depth: int = 0) -> Iterator[tuple[dict[str, Any], int]]:
    for item in items:
        yield item, depth
        yield from walk(item.get("items") or [], depth + 1)


def _siblings(items: list[dict[str, Any]], link_id: str) -> tuple[list[dict[str, Any]], int]:
    for n, item in enumerate(items):
        if item["link_id"] == link_id:
            return items, n
        found = _find_in(item.get("items") or [], link_id)
        if found is not None:
            return found
    raise EditError(_l("No such item in the form."))


def _find_in(items: list[dict[str, Any]], link_id: str) -> tuple[list, int] | None:
    try:
        return _siblings(items, link_id)
    except EditError:
        return None


def find(definition: dict[str, Any], link_id: str) -> dict[str, Any]:
    siblings, n = _siblings(definition["items"], link_id)
    return siblings[n]


def questions_before(definition: dict[str, Any], link_id: str | None) -> list[dict[str, Any]]:
    """Questions a condition of `link_id` may look at: those earlier in the form (all of
    them for a new item, which goes last)."""
    out = []
    for item, _ in walk(definition["items"]):
        if item["link_id"] == link_id:
            break
        if item["type"] in QUESTION_TYPES:
            out.append(item)
    return out


def move(definition: dict[str, Any], link_id: str, step: int) -> dict[str, Any]:
    out = copy.deepcopy(definition)
    siblings, n = _siblings(out["items"], link_id)
    target = n + step
    if 0 <= target < len(siblings):
        siblings[n], siblings[target] = siblings[target], siblings[n]
    return out


def remove(definition: dict[str, Any], link_id: str) -> dict[str, Any]:
    out = copy.deepcopy(definition)
    siblings, n = _siblings(out["items"], link_id)
    del siblings[n]
    if not out["items"]:
        raise EditError(_l("A form needs at least one item."))
    return out


def put_item(definition: dict[str, Any], link_id: str | None,
             fields: dict[str, list[str]]) -> tuple[dict[str, Any], str]:
    """The definition with the posted item saved (a new one goes last); and its link id."""
    out = copy.deepcopy(definition)
    if link_id is None:
        new_id = _one(fields, "link_id").strip()
        if not new_id or any(c.isspace() for c in new_id) or len(new_id) > 255:
            raise EditError(_l("Give the item an id without spaces."))
        if any(i["link_id"] == new_id for i, _ in walk(out["items"])):
            raise EditError(_l("Another item already has this id."))
        item: dict[str, Any] = {"link_id": new_id}
        out["items"].append(item)
    else:
        item = find(out, link_id)
    _apply(item, fields, out, item["link_id"] if link_id else None)
    return out, item["link_id"]


def _one(fields: dict[str, list[str]], name: str) -> str:
    return (fields.get(name) or [""])[0][:TEXT_MAX]


def _apply(item: dict[str, Any], fields: dict[str, list[str]], definition: dict[str, Any],
           existing: str | None) -> None:
    kind = _one(fields, "type") or item.get("type", "string")
    if kind not in ITEM_TYPES and kind != item.get("type"):
        raise EditError(_l("Choose an item type."))
    item["type"] = kind
    sv, en = _one(fields, "text_sv").strip(), _one(fields, "text_en").strip()
    if sv or en:
        if not (sv and en):
            raise EditError(_l("Write the text in both Swedish and English."))
        item["text"] = {**(item.get("text") or {}), "sv": sv, "en": en}
    elif kind != "group":
        raise EditError(_l("Write the text in both Swedish and English."))
    question = kind in QUESTION_TYPES
    item["required"] = question and _one(fields, "required") == "yes"
    item["repeats"] = question and _one(fields, "repeats") == "yes"
    item["options"] = _options(_one(fields, "options"), item.get("options") or []) \
        if kind in CHOICE_TYPES else []
    item["enable_when"] = _conditions(fields, definition, existing)
    behavior = _one(fields, "enable_behavior")
    item["enable_behavior"] = behavior if behavior in ("all", "any") else "all"


def _options(text: str, earlier: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One option a line: `code | Swedish text | English text`; options kept by code keep
    what the page does not show (kind, code system, ordinal values)."""
    by_code = {o["code"]: o for o in earlier}
    kind = earlier[0].get("kind", "coding") if earlier else "coding"
    out = []
    for line in text.splitlines()[:MAX_OPTIONS]:
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not all(parts):
            raise EditError(_l("Write each answer option as: code | Swedish text | English text."))
        code, sv, en = parts
        option = copy.deepcopy(by_code.get(code, {"code": code, "kind": kind}))
        option["text"] = {**option.get("text", {}), "sv": sv, "en": en}
        out.append(option)
    return out


def options_text(item: dict[str, Any]) -> str:
    return "\n".join(f"{o['code']} | {o['text']['sv']} | {o['text']['en']}"
                     for o in item.get("options") or [])


def _conditions(fields: dict[str, list[str]], definition: dict[str, Any],
                existing: str | None) -> list[dict[str, Any]]:
    earlier = {q["link_id"]: q for q in questions_before(definition, existing)}
    questions = fields.get("cond_question", [])[:MAX_CONDITIONS]
    operators = fields.get("cond_operator", [])
    answers = fields.get("cond_answer", [])
    out = []
    for n, question in enumerate(questions):
        if not question:
            continue
        operator = operators[n] if n < len(operators) else ""
        answer = answers[n].strip()[:TEXT_MAX] if n < len(answers) else ""
        if question not in earlier or operator not in OPERATORS:
            raise EditError(_l("A condition must name an earlier question and an operator."))
        if not answer:
            raise EditError(_l("Give the answer each condition compares with."))
        target = earlier[question]
        condition = {"question": question, "operator": operator,
                     "answer": _typed(answer, "exists" if operator == "exists"
                                      else target["type"])}
        out.append(condition)
    return out


def _typed(answer: str, kind: str) -> bool | int | float | str:
    """The condition's answer as JSON: booleans and numbers typed; choices, dates and
    times as text (option codes, ISO dates); the service checks it fits the question."""
    if kind in ("exists", "boolean"):
        lowered = answer.lower()
        if lowered in ("true", "yes", "ja", "sant"):
            return True
        if lowered in ("false", "no", "nej", "falskt"):
            return False
        raise EditError(_l("A yes/no condition compares with yes or no."))
    if kind == "integer":
        try:
            return int(answer)
        except ValueError as exc:
            raise EditError(_l("The condition's answer must be a whole number.")) from exc
    if kind == "decimal":
        try:
            return float(answer.replace(",", "."))
        except ValueError as exc:
            raise EditError(_l("The condition's answer must be a number.")) from exc
    return answer


def condition_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
