"""Answer constraints beyond type and length: minLength, regex, min/maxValue of numbers, dates
and times, maxDecimalPlaces, slider steps, units of quantities, and fixed (readOnly or hidden)
items. Each check returns (error code, message values) pairs for validate to report."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from services.forms.domain.model import Item
from services.forms.domain.values import parse_bound, parse_scalar

Problem = tuple[str, dict[str, object]]


def text_problems(item: Item, value: str) -> list[Problem]:
    out: list[Problem] = []
    if item.min_length is not None and len(value) < item.min_length:
        out.append(("too_short", {"limit": item.min_length}))
    # The answer is bounded (validate's max lengths) and the pattern was compiled when the
    # definition was checked, so matching here stays cheap.
    if item.regex is not None and re.fullmatch(item.regex, value) is None:
        out.append(("pattern", {}))
    return out


def bound_problems(item: Item, value: Any, raw: Any) -> list[Problem]:
    out: list[Problem] = []
    low, high = (parse_bound(item.type, b) for b in (item.min_value, item.max_value))
    if low is not None and _lt(value, low):
        out.append(("too_small", {"limit": _show(item.min_value)}))
    if high is not None and _lt(high, value):
        out.append(("too_large", {"limit": _show(item.max_value)}))
    number = raw.get("value") if item.type == "quantity" and isinstance(raw, dict) else raw
    if item.max_decimal_places is not None and _decimals(number) > item.max_decimal_places:
        out.append(("decimals", {"limit": item.max_decimal_places}))
    if item.control == "slider" and item.slider_step and isinstance(low, float):
        steps = (Decimal(str(value)) - Decimal(str(low))) / Decimal(str(item.slider_step))
        if steps != steps.to_integral_value():
            out.append(("step", {"limit": _show(item.slider_step)}))
    if item.type == "quantity" and item.unit is not None and not _same_unit(item, raw):
        out.append(("wrong_unit", {"unit": item.unit.display or item.unit.code}))
    return out


def fixed_problems(item: Item, values: list[Any]) -> list[Problem]:
    """readOnly and hidden items are not the patient's to fill: an answer, if any, must be
    exactly the item's initial value(s)."""
    if not (item.read_only or item.hidden) or not values:
        return []
    expected = [parse_scalar(item.type, v) if not isinstance(v, str) or item.type not in (
        "choice", "open-choice") else v for v in item.initial]
    expected += [o.code for o in item.options if o.initial_selected]
    return [] if sorted(map(str, values)) == sorted(map(str, expected)) else [("read_only", {})]


def _lt(a: Any, b: Any) -> bool:
    try:
        return bool(a < b)
    except TypeError:  # e.g. a dateTime without zone against one with: never a crash
        return False


def _decimals(number: Any) -> int:
    if not isinstance(number, float | int) or isinstance(number, bool):
        return 0
    try:
        exponent = Decimal(str(number)).normalize().as_tuple().exponent
    except InvalidOperation:
        return 0
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _same_unit(item: Item, raw: Any) -> bool:
    unit = item.unit
    if unit is None or not isinstance(raw, dict):
        return False
    if raw.get("code") is not None or raw.get("system") is not None:
        return raw.get("code") == unit.code and raw.get("system") == unit.system
    return raw.get("unit") in (unit.code, unit.display)


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
