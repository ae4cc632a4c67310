"""Texts in FHIR: a string element in the resource's language plus the core `translation`
extension on the primitive (`_text`) for every other language. Here each text becomes a
`Text` (Swedish, English and any other language kept in `more`)."""

from __future__ import annotations

from typing import Any

from services.forms.domain.model import Text

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
MAX_TEXT = 4000


def lang_key(tag: str) -> str:
    """sv-SE and sv are one language to this service (likewise en-GB, en-US and en)."""
    primary = tag.split("-")[0].lower()
    return primary if primary in ("sv", "en") else tag


def read_texts(element: dict[str, Any], name: str, base: str) -> dict[str, str]:
    """Every language of `element[name]`: the base language and each translation."""
    out: dict[str, str] = {}
    value = element.get(name)
    if isinstance(value, str) and value:
        out[lang_key(base)] = value
    for ext in _ext(element.get(f"_{name}")):
        if ext.get("url") != TRANSLATION:
            continue
        parts = {e.get("url"): e for e in ext.get("extension", []) if isinstance(e, dict)}
        lang = parts.get("lang", {}).get("valueCode")
        content = parts.get("content", {}).get("valueString")
        if isinstance(lang, str) and isinstance(content, str) and content:
            out.setdefault(lang_key(lang), content)
    return out


def to_text(texts: dict[str, str]) -> Text | None:
    """A Text from language -> text; a missing Swedish or English text falls back to the other
    (or to the first language given), which the importer reports as a warning."""
    if not texts:
        return None
    first = next(iter(texts.values()))
    sv = texts.get("sv") or texts.get("en") or first
    en = texts.get("en") or texts.get("sv") or first
    more = tuple(sorted((k, v) for k, v in texts.items() if k not in ("sv", "en")))
    return Text(sv=sv[:MAX_TEXT], en=en[:MAX_TEXT], more=more)


def write_text(name: str, text: Text) -> dict[str, Any]:
    """`name` in Swedish with English and every other language as translations."""
    translations = [_translation(lang, value) for lang, value in (("en", text.en), *text.more)]
    return {name: text.sv, f"_{name}": {"extension": translations}}


def _translation(lang: str, value: str) -> dict[str, Any]:
    return {"url": TRANSLATION, "extension": [
        {"url": "lang", "valueCode": lang}, {"url": "content", "valueString": value}]}


def _ext(primitive: Any) -> list[dict[str, Any]]:
    if not isinstance(primitive, dict):
        return []
    return [e for e in primitive.get("extension", []) if isinstance(e, dict)]


def other_extensions(primitive: Any) -> list[dict[str, Any]]:
    """Extensions on a text's primitive other than translations (e.g. rendering-xhtml)."""
    return [e for e in _ext(primitive) if e.get("url") != TRANSLATION]
