"""Rendering a form in Swedish or English: an HTML preview for form designers, and the
answers of a response as plain text (how a message reads, against its own form version)."""

from __future__ import annotations

from html import escape
from typing import Any

from services.forms.domain.model import FormDefinition, Item, Lang
from services.forms.domain.values import VALUE_KEY

_LABELS = {"sv": {"required": "obligatorisk", "conditional": "visas beroende på svar",
                  "multiple": "flera val möjliga", "yes": "Ja", "no": "Nej"},
           "en": {"required": "required", "conditional": "shown depending on answers",
                  "multiple": "several choices allowed", "yes": "Yes", "no": "No"}}


def render_html(form: FormDefinition, lang: Lang) -> str:
    body = "".join(_html_item(item, lang) for item in form.items)
    intro = f"<p>{escape(form.description(lang))}</p>" if form.description else ""
    return (f'<form lang="{lang}"><h1>{escape(form.title(lang))}</h1>{intro}{body}</form>')


def _html_item(item: Item, lang: Lang) -> str:
    words = _LABELS[lang]
    notes = [words[k] for k, on in (("required", item.required),
                                    ("conditional", bool(item.enable_when)),
                                    ("multiple", item.type == "choice" and item.repeats)) if on]
    note = f' <small>({", ".join(notes)})</small>' if notes else ""
    text = escape(item.text(lang))
    attrs = f'data-link-id="{escape(item.link_id)}"' + (' hidden' if item.enable_when else "")
    if item.type == "group":
        inner = "".join(_html_item(child, lang) for child in item.items)
        return f"<fieldset {attrs}><legend>{text}{note}</legend>{inner}</fieldset>"
    if item.type == "display":
        return f'<p {attrs} class="display">{text}</p>'
    return f"<div {attrs}><label>{text}{note}</label>{_control(item, lang)}</div>"


def _control(item: Item, lang: Lang) -> str:
    name = escape(item.link_id)
    if item.type == "choice":
        kind = "checkbox" if item.repeats else "radio"
        return "".join(f'<label><input type="{kind}" name="{name}" value="{escape(o.code)}">'
                       f"{escape(o.text(lang))}</label>" for o in item.options)
    if item.type == "text":
        return f'<textarea name="{name}" maxlength="{item.max_length or 10000}"></textarea>'
    kind = {"boolean": "checkbox", "integer": "number", "decimal": "number", "date": "date",
            "dateTime": "datetime-local", "attachment": "file"}.get(item.type, "text")
    return f'<input type="{kind}" name="{name}">'


def render_answers(form: FormDefinition, response: dict[str, Any], lang: Lang) -> str:
    """The answers as indented text, questions worded as in this form version."""
    lines = [form.title(lang), ""]
    _answer_lines(form.items, response.get("item") or [], lang, 0, lines)
    return "\n".join(lines).rstrip() + "\n"


def _answer_lines(defs: tuple[Item, ...], raw: list, lang: Lang, depth: int,
                  lines: list[str]) -> None:
    by_id = {d.link_id: d for d in defs}
    pad = "  " * depth
    for entry in raw:
        link_id = entry.get("linkId") if isinstance(entry, dict) else None
        item = by_id.get(link_id) if isinstance(link_id, str) else None
        if item is None or item.type == "display":
            continue
        if item.type == "group":
            lines.append(f"{pad}{item.text(lang)}")
            _answer_lines(item.items, entry.get("item") or [], lang, depth + 1, lines)
            continue
        shown = [_show(item, a.get(VALUE_KEY[item.type]), lang)
                 for a in entry.get("answer") or [] if isinstance(a, dict)]
        if shown:
            lines.append(f"{pad}{item.text(lang)}: {', '.join(shown)}")


def _show(item: Item, value: Any, lang: Lang) -> str:
    if item.type == "choice" and isinstance(value, dict):
        texts = {o.code: o.text(lang) for o in item.options}
        code = value.get("code")
        return texts.get(code, str(code)) if isinstance(code, str) else str(code)
    if item.type == "boolean":
        return _LABELS[lang]["yes" if value else "no"]
    if item.type == "attachment" and isinstance(value, dict):
        return str(value.get("title") or value.get("url"))
    return str(value)
