"""Fill in any form the way a patient could: every enabled question gets an answer that fits
its type and constraints (document order, so enableWhen sees earlier answers)."""

from __future__ import annotations

from typing import Any

from services.forms.domain.enable import is_enabled
from services.forms.domain.model import CHOICE_TYPES, FormDefinition, Item, walk
from services.forms.domain.values import parse_scalar, value_key


def answer_all(form: FormDefinition, canonical: str | None = None) -> dict[str, Any]:
    by_id = {item.link_id: item for item, _ in walk(form.items)}
    given: dict[str, list[Any]] = {}
    out: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "status": "completed",
                           "item": _level(form.items, given, by_id)}
    if canonical:
        out["questionnaire"] = canonical
    return out


def _level(items: tuple[Item, ...], given: dict, by_id: dict) -> list[dict[str, Any]]:
    out = []
    for item in items:
        if not is_enabled(item, given, by_id) or item.type == "display":
            continue
        if item.type == "group":
            children = _level(item.items, given, by_id)
            if children:
                out.append({"linkId": item.link_id, "item": children})
            continue
        answer = _answer(item)
        if answer is None:
            continue
        given[item.link_id] = [_comparable(item, answer)]
        entry: dict[str, Any] = {"linkId": item.link_id, "answer": [answer]}
        children = _level(item.items, given, by_id)
        if children:
            answer["item"] = children
        out.append(entry)
    return out


def _comparable(item: Item, answer: dict[str, Any]) -> Any:
    value = next(v for k, v in answer.items() if k.startswith("value"))
    if item.type in CHOICE_TYPES:
        return value["code"] if isinstance(value, dict) else str(value)
    return parse_scalar(item.type, value)


def _answer(item: Item) -> dict[str, Any] | None:
    if item.read_only or item.hidden:
        return _initial(item)
    if item.regex is not None and not item.required:
        return None
    value = _value(item)
    return None if value is None else {value_key(item): value}


def _initial(item: Item) -> dict[str, Any] | None:
    chosen = [o for o in item.options if o.initial_selected]
    if chosen:
        return {value_key(item): _option_value(chosen[0])}
    if item.initial:
        return {value_key(item): item.initial[0]}
    return None


def _option_value(option: Any) -> Any:
    if option.kind == "coding":
        return {"system": option.system, "code": option.code} if option.system else \
            {"code": option.code}
    return int(option.code) if option.kind == "integer" else option.code


def _value(item: Item) -> Any:
    if item.type in CHOICE_TYPES:
        return _option_value(item.options[0]) if item.options else None
    low = item.min_value
    simple = {"boolean": True, "date": low or "2020-01-01", "time": low or "10:00:00",
              "dateTime": low or "2020-01-01T10:00:00+01:00",
              "string": "x" * max(3, item.min_length or 0),
              "text": "x" * max(3, item.min_length or 0),
              "attachment": {"url": "https://files.example/1", "size": 10,
                             **({"contentType": item.allowed_types[0]}
                                if item.allowed_types else {})}}
    if item.type in simple:
        return simple[item.type]
    number = low if isinstance(low, int | float) else 1
    number = int(number) if item.type == "integer" else float(number)
    if item.type == "quantity":
        unit = item.unit.model_dump(exclude_none=True) if item.unit else {"unit": "kg"}
        unit.pop("display", None)
        unit.pop("version", None)
        return {"value": number, **unit}
    return number
