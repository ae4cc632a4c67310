"""Answer values: which FHIR `value[x]` each item type takes, parsing them into comparable
Python values, and the enableWhen comparison operators."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

VALUE_KEY = {
    "string": "valueString", "text": "valueString", "boolean": "valueBoolean",
    "integer": "valueInteger", "decimal": "valueDecimal", "date": "valueDate",
    "dateTime": "valueDateTime", "time": "valueTime", "choice": "valueCoding",
    "open-choice": "valueCoding", "quantity": "valueQuantity", "attachment": "valueAttachment",
}
# value[x] of answer options (and of choice answers whose options are not codings).
OPTION_KEY = {"coding": "valueCoding", "string": "valueString", "integer": "valueInteger",
              "date": "valueDate", "time": "valueTime"}
# enableWhen.answer[x] for each question type (FHIR R4 Questionnaire.item.enableWhen).
CONDITION_KEY = {
    "string": "answerString", "text": "answerString", "boolean": "answerBoolean",
    "integer": "answerInteger", "decimal": "answerDecimal", "date": "answerDate",
    "dateTime": "answerDateTime", "time": "answerTime", "choice": "answerCoding",
    "open-choice": "answerCoding",
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


def parse_scalar(item_type: str, raw: Any) -> Any:
    """The comparable value of a raw JSON answer for `item_type`, or None if it does not fit.
    Dates are full dates; a dateTime carries a time zone (as FHIR demands) or is a date."""
    if item_type == "boolean":
        return raw if isinstance(raw, bool) else None
    if isinstance(raw, bool):  # bool is an int in Python; never a number answer here
        return None
    if item_type == "integer":
        return raw if isinstance(raw, int) else None
    if item_type == "decimal":
        return float(raw) if isinstance(raw, int | float) else None
    if item_type == "quantity":
        value = raw.get("value") if isinstance(raw, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)
    if not isinstance(raw, str):
        return None
    if item_type in ("string", "text", "choice", "open-choice"):
        return raw
    if item_type == "date":
        return _date(raw)
    if item_type == "dateTime":
        return _datetime(raw)
    if item_type == "time":
        return time.fromisoformat(raw[:8]) if _TIME.match(raw) and raw[6:8] != "60" else None
    return None


def value_key(item: Any) -> str:
    """The answer value[x] an item takes: choice items whose options are strings, integers,
    dates or times are answered with that type (FHIR R4 answerOption.value[x])."""
    if item.type in ("choice", "open-choice") and item.options:
        return OPTION_KEY[item.options[0].kind]
    return VALUE_KEY[item.type]


def option_code(kind: str, raw: Any) -> str | None:
    """The option code an answer value stands for (see model.Option), or None."""
    if kind == "coding":
        code = raw.get("code") if isinstance(raw, dict) else None
        return code if isinstance(code, str) else None
    if kind == "integer":
        return str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else None
    value = parse_scalar(kind, raw)
    return raw if value is not None else None


def parse_bound(item_type: str, raw: Any) -> Any:
    """A min/maxValue as comparable value (numbers for integer and decimal items)."""
    if item_type in ("integer", "decimal", "quantity"):
        return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
    return parse_scalar(item_type, raw)


def _date(raw: str) -> date | None:
    if not _DATE.match(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _datetime(raw: str) -> datetime | None:
    if _DATE.match(raw):
        day = _date(raw)
        return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
    if not _DATETIME.match(raw):
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def compare(operator: str, answer: Any, expected: Any) -> bool:
    """One answer against an enableWhen value (both already parsed to the same type)."""
    try:
        match operator:
            case "=":
                return bool(answer == expected)
            case "!=":
                return bool(answer != expected)
            case ">":
                return bool(answer > expected)
            case "<":
                return bool(answer < expected)
            case ">=":
                return bool(answer >= expected)
            case "<=":
                return bool(answer <= expected)
    except TypeError:  # e.g. a date against a number: never true, never a crash
        return False
    raise ValueError(f"unknown operator {operator}")
