"""Keyset paging for both mailboxes: a page ends with an opaque cursor that names the last
row's sort key, and the next page starts strictly after it. Unlike OFFSET, the cost of a
page does not grow with the number of rows before it, and rows added meanwhile neither
repeat nor vanish."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from shared.errors import CommandError

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def encode(at: datetime, row_id: str) -> str:
    raw = json.dumps([at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    try:
        at, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(at), str(row_id)
    except (ValueError, TypeError) as exc:
        raise CommandError(422, "after: not a cursor this service gave out") from exc


def page(rows: Sequence[Any], limit: int,
         key: Callable[[Any], tuple[datetime, str]]) -> tuple[Sequence[Any], str | None]:
    """Rows were fetched with limit + 1: the extra one only says whether there is more."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode(*key(rows[-1]))
