"""Rendering a form in Swedish or English: an HTML preview for form designers, and the
answers of a response as plain text (how a message reads, against its own form version).

The HTML honours what validation enforces: questionnaire-itemControl (drop-down, radio
buttons, check boxes, slider), open-choice ("other, namely ..."), readOnly and hidden items,
initial values, units, and length, pattern, bound and step attributes."""

from __future__ import annotations

from html import escape
from typing import Any

from services.forms.domain.model import CHOICE_TYPES, FormDefinition, Item, Lang
from services.forms.domain.values import value_key

_LABELS = {"sv": {"required": "obligatorisk", "conditional": "visas beroende på svar",
                  "multiple": "flera val möjliga", "yes": "Ja", "no": "Nej",
                  "other": "Annat, nämligen", "choose": "Välj"},
           "en": {"required": "required", "conditional": "shown depending on answers",
                  "multiple": "several choices allowed", "yes": "Yes", "no": "No",
                  "other": "Other, namely", "choose": "Choose"}}
_INPUT = {"boolean": "checkbox", "integer": "number", "decimal": "number", "quantity": "number",
          "date": "date", "dateTime": "datetime-local", "time": "time", "attachment": "file"}


def render_html(form: FormDefinition, lang: Lang) -> str:
    body = "".join(_html_item(item, lang) for item in form.items)
    intro = f"<p>{escape(form.description(lang))}</p>" if form.description else ""
    return (f'<form lang="{lang}"><h1>{escape(form.title(lang))}</h1>{intro}{body}</form>')


def _html_item(item: Item, lang: Lang) -> str:
    words = _LABELS[lang]
    notes = [words[k] for k, on in (("required", item.required),
                                    ("conditional", bool(item.enable_when)),
                                    ("multiple", item.type in CHOICE_TYPES and item.repeats))
             if on]
    note = f' <small>({", ".join(notes)})</small>' if notes else ""
    prefix = f"{escape(item.prefix(lang))} " if item.prefix else ""
    text = prefix + (escape(item.text(lang)) if item.text else "")
    hide = item.enable_when or item.hidden
    attrs = f'data-link-id="{escape(item.link_id)}"' + (" hidden" if hide else "")
    inner = "".join(_html_item(child, lang) for child in item.items)
    if item.type == "group":
        legend = f"<legend>{text}{note}</legend>" if text or note else ""
        return f"<fieldset {attrs}>{legend}{inner}</fieldset>"
    if item.type == "display":
        return f'<p {attrs} class="display">{text}</p>'
    unit = f" <span class=\"unit\">{escape(_unit(item))}</span>" if item.unit else ""
    return (f"<div {attrs}><label>{text}{note}</label>{_control(item, lang)}{unit}"
            f"{inner}</div>")


def _unit(item: Item) -> str:
    assert item.unit is not None
    return item.unit.display or item.unit.code


def _control(item: Item, lang: Lang) -> str:
    name = escape(item.link_id)
    fixed = " disabled" if item.read_only else ""
    if item.type in CHOICE_TYPES:
        return _choices(item, lang, fixed) + (_other(item, lang) if item.type == "open-choice"
                                               else "")
    initial = escape(str(item.initial[0])) if item.initial else ""
    if item.type == "text":
        return (f'<textarea name="{name}" maxlength="{item.max_length or 10000}"'
                f"{_limits(item)}{fixed}>{initial}</textarea>")
    kind = "range" if item.control == "slider" else _INPUT.get(item.type, "text")
    value = f' value="{initial}"' if initial and item.type != "boolean" else ""
    checked = " checked" if item.type == "boolean" and item.initial == (True,) else ""
    return f'<input type="{kind}" name="{name}"{value}{checked}{_limits(item)}{fixed}>'


def _choices(item: Item, lang: Lang, fixed: str) -> str:
    name = escape(item.link_id)
    chosen = {o.code for o in item.options if o.initial_selected} | {
        str(v) for v in item.initial}
    if item.control == "drop-down":
        options = "".join(
            f'<option value="{escape(o.code)}"{" selected" if o.code in chosen else ""}>'
            f"{escape(o.text(lang))}</option>" for o in item.options)
        multiple = " multiple" if item.repeats else ""
        return (f'<select name="{name}"{multiple}{fixed}><option value="">'
                f"{_LABELS[lang]['choose']}</option>{options}</select>")
    kind = "checkbox" if item.repeats or item.control == "check-box" else "radio"
    return "".join(f'<label><input type="{kind}" name="{name}" value="{escape(o.code)}"'
                   f'{" checked" if o.code in chosen else ""}{fixed}>'
                   f"{escape(o.text(lang))}</label>" for o in item.options)


def _other(item: Item, lang: Lang) -> str:
    return (f'<label>{_LABELS[lang]["other"]} <input type="text" '
            f'name="{escape(item.link_id)}.other"{_limits(item)}></label>')


def _limits(item: Item) -> str:
    attrs = {"minlength": item.min_length, "pattern": item.regex,
             "min": item.min_value, "max": item.max_value, "step": item.slider_step}
    if item.type in ("string", "open-choice") and item.max_length:
        attrs["maxlength"] = item.max_length
    if item.type == "decimal" and item.slider_step is None:
        attrs["step"] = 10 ** -item.max_decimal_places if item.max_decimal_places else "any"
    if item.required and item.type not in CHOICE_TYPES:
        attrs["required"] = "required"
    return "".join(f' {k}="{escape(str(v))}"' for k, v in attrs.items() if v is not None)


def render_answers(form: FormDefinition, response: dict[str, Any], lang: Lang) -> str:
    """The answers as indented text, questions worded as in this form version."""
    lines = [form.title(lang), ""]
    _answer_lines(form.items, response.get("item") or [], lang, 0, lines)
    return "\n".join(lines).rstrip() + "\n"


def _answer_lines(defs: tuple[Item, ...], raw: list, lang: Lang, depth: int,
                  lines: list[str]) -> None:
    by_id = {d.link_id: d for d in defs}
    pad = "  " * depth
    for entry in raw if isinstance(raw, list) else []:
        item = by_id.get(entry.get("linkId")) if isinstance(entry, dict) else None
        if item is None or item.type == "display":
            continue
        if item.type == "group":
            lines.append(f"{pad}{item.label(lang)}")
            _answer_lines(item.items, entry.get("item") or [], lang, depth + 1, lines)
            continue
        answers = [a for a in entry.get("answer") or [] if isinstance(a, dict)]
        shown = [_show(item, a, lang) for a in answers]
        if shown:
            lines.append(f"{pad}{item.label(lang)}: {', '.join(shown)}")
        for answer in answers:
            _answer_lines(item.items, answer.get("item") or [], lang, depth + 1, lines)


def _show(item: Item, answer: dict[str, Any], lang: Lang) -> str:
    if item.type == "open-choice" and "valueString" in answer:
        return f"{_LABELS[lang]['other']} {answer['valueString']}"
    value = answer.get(value_key(item))
    if item.type in CHOICE_TYPES:
        code = value.get("code") if isinstance(value, dict) else value
        texts = {o.code: o.text(lang) for o in item.options}
        return texts.get(str(code), str(code))
    if item.type == "boolean":
        return _LABELS[lang]["yes" if value else "no"]
    if item.type == "attachment" and isinstance(value, dict):
        return str(value.get("title") or value.get("url"))
    if item.type == "quantity" and isinstance(value, dict):
        return f"{value.get('value')} {value.get('unit') or value.get('code') or ''}".rstrip()
    suffix = f" {_unit(item)}" if item.unit else ""
    return f"{value}{suffix}"
