"""check_definition's rules for an item's constraints: which types take lengths, a regex,
bounds, decimal places, units, item controls, occurrence limits and initial values."""

from __future__ import annotations

from services.forms.domain import patterns
from services.forms.domain.model import BOUNDED_TYPES, CHOICE_TYPES, Item


def constraint_problems(item: Item, where: str) -> list[str]:
    out: list[str] = []
    text_like = item.type in ("string", "text", "open-choice")
    # On a choice item the lengths can never fail (answers are codes), so they are allowed.
    lengths = (item.max_length, item.min_length) != (None, None)
    if lengths and not text_like and item.type != "choice":
        out.append(f"{where} maxLength/minLength apply to string and text items")
    if item.regex is not None and not text_like:
        out.append(f"{where} regex applies to string and text items")
    if item.regex is not None and not patterns.valid(item.regex):
        out.append(f"{where} regex is not a regular expression this service can run (RE2)")
    if (item.min_value, item.max_value) != (None, None) and item.type not in BOUNDED_TYPES:
        out.append(f"{where} min/max values apply to numbers, dates and times")
    if item.max_decimal_places is not None and item.type not in ("decimal", "quantity"):
        out.append(f"{where} maxDecimalPlaces applies to decimal and quantity items")
    if item.unit is not None and item.type not in ("decimal", "integer", "quantity"):
        out.append(f"{where} a unit applies to numbers and quantities")
    if (item.allowed_types or item.max_size) and item.type != "attachment":
        out.append(f"{where} allowed types and max size apply to attachments")
    out += [f"{where} {p}" for p in _control_problems(item)]
    if item.initial and (item.type in CHOICE_TYPES and item.options):
        out.append(f"{where} choice items mark initial options with initialSelected")
    if (item.min_occurs or item.max_occurs) and not item.repeats:
        out.append(f"{where} minOccurs/maxOccurs apply to repeating items")
    preset = item.initial or any(o.initial_selected for o in item.options)
    if item.required and (item.read_only or item.hidden) and not preset:
        out.append(f"{where} a required readOnly or hidden item needs an initial value")
    if len(item.initial) > 1 and not item.repeats:
        out.append(f"{where} several initial values need a repeating item")
    return out


def _control_problems(item: Item) -> list[str]:
    if item.control in ("drop-down", "radio-button", "check-box"):
        if item.type not in CHOICE_TYPES:
            return [f"{item.control} applies to choice items"]
        if item.control in ("drop-down", "radio-button") and item.repeats:
            return [f"{item.control} allows one answer but the item repeats"]
    numeric = all(isinstance(v, int | float) for v in (item.min_value, item.max_value))
    if item.control == "slider" and (item.type not in ("integer", "decimal") or not numeric):
        return ["a slider needs an integer or decimal item with minValue and maxValue"]
    if item.slider_step is not None and item.control != "slider":
        return ["sliderStepValue applies to slider items"]
    return []
