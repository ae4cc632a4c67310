"""Schema history of the notifier database (applied at start by shared.db.migrate)."""

from __future__ import annotations

from sqlalchemy import Connection

from services.notifier import tables
from shared.db import Migration


def _initial(conn: Connection) -> None:
    tables.metadata.create_all(
        conn, tables=[tables.inbox, tables.outbox, tables.notifications])


MIGRATIONS = [Migration(1, "inbox, outbox, notifications", _initial)]
