"""Migrations of the shared library's own tables (outbox, inbox) for a service still on the
numbered mechanism (shared.db.migrate: messaging), applied by EventRuntime after the
service's own; a service on Alembic has them as revisions of its own. Versions from 900 up are reserved for them, so they never clash
with a service's numbering. Each step is idempotent: a fresh database already gets these
columns and indexes from define_outbox / define_inbox."""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from shared.db import Migration


def _outbox_parking(conn: Connection) -> None:
    if inspect(conn).has_table("outbox"):
        conn.execute(text("ALTER TABLE outbox ADD COLUMN IF NOT EXISTS parked_at timestamptz, "
                          "ADD COLUMN IF NOT EXISTS park_reason varchar(200)"))


def _inbox_purge_index(conn: Connection) -> None:
    if inspect(conn).has_table("inbox"):
        conn.execute(text("CREATE INDEX IF NOT EXISTS inbox_processed_at "
                          "ON inbox (processed_at)"))


MIGRATIONS = [
    Migration(900, "outbox: parked rows (can never be published)", _outbox_parking),
    Migration(901, "inbox: index for purging old processed events", _inbox_purge_index),
]
