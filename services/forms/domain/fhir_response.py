"""Answers as a FHIR R4 QuestionnaireResponse that refers to the exact form version it was
written against (`questionnaire` = canonical url|version). Only the FHIR elements of the
answer tree are carried (linkId, text, answer value[x], nested items)."""

from __future__ import annotations

from typing import Any

from services.forms.domain.model import FormDefinition, Item, Lang, walk


def to_questionnaire_response(form: FormDefinition, answers: dict[str, Any], *,
                              canonical: str, lang: Lang = "sv") -> dict[str, Any]:
    """`answers` must already be valid for `form` (validate_response returned no errors)."""
    by_id = {item.link_id: item for item, _ in walk(form.items)}
    out: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "language": lang,
                           "questionnaire": canonical, "status": "completed",
                           "item": _items(answers.get("item") or [], by_id, lang)}
    if isinstance(answers.get("authored"), str):
        out["authored"] = answers["authored"]
    return out


def _items(raw: list[Any], by_id: dict[str, Item], lang: Lang) -> list[dict[str, Any]]:
    out = []
    for entry in raw:
        item = by_id[entry["linkId"]]
        node: dict[str, Any] = {"linkId": item.link_id}
        if item.text:
            node["text"] = item.text(lang)
        if entry.get("answer"):
            node["answer"] = [_answer(a, by_id, lang) for a in entry["answer"]]
        if entry.get("item"):
            node["item"] = _items(entry["item"], by_id, lang)
        out.append(node)
    return out


def _answer(raw: dict[str, Any], by_id: dict[str, Item], lang: Lang) -> dict[str, Any]:
    out = {k: v for k, v in raw.items() if k.startswith("value")}
    if raw.get("item"):
        out["item"] = _items(raw["item"], by_id, lang)
    return out
