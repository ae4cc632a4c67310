"""Answer values: which FHIR `value[x]` each item type takes, parsing them into comparable
Python values, and the enableWhen comparison operators."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

VALUE_KEY = {
    "string": "valueString", "text": "valueString", "boolean": "valueBoolean",
    "integer": "valueInteger", "decimal": "valueDecimal", "date": "valueDate",
    "dateTime": "valueDateTime", "choice": "valueCoding", "attachment": "valueAttachment",
}
# enableWhen.answer[x] for each question type (FHIR R4 Questionnaire.item.enableWhen).
CONDITION_KEY = {
    "string": "answerString", "text": "answerString", "boolean": "answerBoolean",
    "integer": "answerInteger", "decimal": "answerDecimal", "date": "answerDate",
    "dateTime": "answerDateTime", "choice": "answerCoding",
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
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
    if not isinstance(raw, str):
        return None
    if item_type in ("string", "text", "choice"):
        return raw
    if item_type == "date":
        return _date(raw)
    if item_type == "dateTime":
        return _datetime(raw)
    return None


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
