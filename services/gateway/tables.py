"""The gateway's database schema (SQLAlchemy 2 Core): the sessions every replica shares and
the logins under way. Rows hold only hashes, times and sealed blobs (session.py seals them).
Its history is in migrations/ (Alembic), applied at start."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, LargeBinary, MetaData, String, Table, func

metadata = MetaData()

sessions = Table(
    "sessions", metadata,
    Column("key", String(64), primary_key=True),  # sha256 of the cookie
    Column("created_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("written_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

pending_logins = Table(
    "pending_logins", metadata,
    Column("key", String(64), primary_key=True),  # sha256 of the OAuth state
    Column("created_at", Float, nullable=False),
    Column("sealed", LargeBinary, nullable=False),
)
