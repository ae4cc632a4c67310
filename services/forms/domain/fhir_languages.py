"""A form that comes as one Questionnaire per language: the texts of the others become
`translation` extensions on the first, after checking that all have the same items and
answer options (same linkIds, types and option codes)."""

from __future__ import annotations

import copy
from typing import Any

from services.forms.domain.fhir_features import Issue
from services.forms.domain.fhir_text import TRANSLATION

OPTION_TEXTS = (("valueCoding", "display"), (None, "valueString"))


def merge_languages(group: list[dict[str, Any]]) -> tuple[dict[str, Any], list[Issue]]:
    first = copy.deepcopy(group[0])
    problems: list[Issue] = []
    for other in group[1:]:
        lang = str(other.get("language") or "")
        for name in ("title", "description"):
            _translate(first, other, name, lang)
        mine, theirs = _items(first.get("item")), _items(other.get("item"))
        if [(k, v.get("type")) for k, v in mine.items()] != [
                (k, v.get("type")) for k, v in theirs.items()]:
            problems.append(Issue("languages_differ", "Questionnaire", str(lang)))
            continue
        for link_id, item in mine.items():
            problems += _merge_item(item, theirs[link_id], lang, link_id)
    return first, problems


def _merge_item(item: dict[str, Any], other: dict[str, Any], lang: str,
                link_id: str) -> list[Issue]:
    for name in ("text", "prefix"):
        _translate(item, other, name, lang)
    options, theirs = item.get("answerOption", []), other.get("answerOption", [])
    if len(options) != len(theirs):
        return [Issue("languages_differ", link_id, "answerOption")]
    for mine, their in zip(options, theirs, strict=True):
        if "valueCoding" in mine:
            if mine["valueCoding"].get("code") != their.get("valueCoding", {}).get("code"):
                return [Issue("languages_differ", link_id, "answerOption")]
            _translate(mine["valueCoding"], their["valueCoding"], "display", lang)
        elif "valueString" in mine:
            _translate(mine, their, "valueString", lang)
    return []


def _translate(element: dict[str, Any], other: dict[str, Any], name: str, lang: Any) -> None:
    value = other.get(name)
    if not isinstance(value, str) or not isinstance(lang, str) or name not in element:
        return
    extensions = element.setdefault(f"_{name}", {}).setdefault("extension", [])
    extensions.append({"url": TRANSLATION, "extension": [
        {"url": "lang", "valueCode": lang}, {"url": "content", "valueString": value}]})


def _items(raw: Any, out: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    out = {} if out is None else out
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict):
            out[str(item.get("linkId"))] = item
            _items(item.get("item"), out)
    return out
