"""An e-service form as an HTML form: the posted fields <-> a QuestionnaireResponse, and which
items are enabled (enableWhen, evaluated here on every update so conditions work without
JavaScript). The definition is the exact published version from the forms service, read
with forms' own pure domain model (no I/O), so both sides agree on what a condition means.

Field names: `q.<linkId>`; a choice with several answers posts the name once per answer.
Booleans are yes/no radios (so "not answered" stays possible); dateTime is the browser's
local time, sent with Sweden's offset."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.forms.domain.enable import enabled_items
from services.forms.domain.model import FormDefinition, Item, walk
from services.forms.domain.values import VALUE_KEY, parse_scalar

PREFIX = "q."
SWEDEN = ZoneInfo("Europe/Stockholm")


def raw_values(form: FormDefinition, fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """The posted text per question (blank ones dropped), to re-fill the form."""
    out: dict[str, list[str]] = {}
    for item, _ in walk(form.items):
        if item.is_question:
            values = [v for v in fields.get(PREFIX + item.link_id, []) if v.strip()]
            if values:
                out[item.link_id] = values[: 50 if item.repeats else 1]
    return out


def _typed(item: Item, raw: str) -> Any:
    """The JSON value for a posted text, or the text itself when it does not parse (forms'
    validation then names the field and the problem)."""
    text = raw.strip()
    if item.type == "boolean":
        return {"yes": True, "no": False}.get(text, text)
    if item.type == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    if item.type == "decimal":
        try:
            return float(text.replace(",", "."))
        except ValueError:
            return text
    if item.type == "dateTime":
        try:
            return datetime.fromisoformat(text).replace(tzinfo=SWEDEN).isoformat()
        except ValueError:
            return text
    if item.type == "choice":
        return {"code": text}
    return raw if item.type == "text" else text


def parsed_answers(form: FormDefinition, raw: dict[str, list[str]]) -> dict[str, list[Any]]:
    """Comparable values per link id, for enableWhen."""
    out: dict[str, list[Any]] = {}
    for item, _ in walk(form.items):
        for text in raw.get(item.link_id, []):
            value = _typed(item, text)
            value = value.get("code") if item.type == "choice" else parse_scalar(item.type, value)
            if value is not None:
                out.setdefault(item.link_id, []).append(value)
    return out


def condition_sources(form: FormDefinition | None) -> set[str]:
    """Questions that other items' conditions look at: changing one updates the form."""
    if form is None:
        return set()
    return {c.question for item, _ in walk(form.items) for c in item.enable_when}


def enabled(form: FormDefinition, raw: dict[str, list[str]]) -> set[str]:
    return enabled_items(form, parsed_answers(form, raw))


def response(form: FormDefinition, raw: dict[str, list[str]], on: set[str]) -> dict[str, Any]:
    """The QuestionnaireResponse of the enabled, answered items (groups nest)."""
    return {"resourceType": "QuestionnaireResponse", "status": "completed",
            "item": _items(form.items, raw, on)}


def _items(items: tuple[Item, ...], raw: dict[str, list[str]], on: set[str]) -> list[dict]:
    out: list[dict] = []
    for item in items:
        if item.link_id not in on or item.type == "display":
            continue
        if item.type == "group":
            children = _items(item.items, raw, on)
            if children:
                out.append({"linkId": item.link_id, "item": children})
            continue
        values = raw.get(item.link_id, [])
        if values and item.type != "attachment":
            key = VALUE_KEY[item.type]
            out.append({"linkId": item.link_id,
                        "answer": [{key: _typed(item, v)} for v in values]})
    return out
