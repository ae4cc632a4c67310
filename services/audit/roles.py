"""The audit database's two roles. Migrations, monthly partitions and grants run as the
database's owner (`owner_database_url`); the service then runs as a role that may only
INSERT and SELECT on the log and its checkpoints: no UPDATE, DELETE or TRUNCATE there, and,
not being the owner, it cannot disable the append-only triggers either.

`OwnerMigrations` stands in for the Alembic history in EventRuntime: the runtime's own engine
is ignored and the owner's used, once, at start."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from services.audit import tables, tables_stream
from services.audit.migrations import MIGRATIONS
from shared.db import make_engine

log = logging.getLogger(__name__)
PARENT = "audit_records"


def partition_name(month: date) -> str:
    return f"{PARENT}__p{month:%Y%m}"  # "__p": shared.migrations leaves these out of diffs


def _months(start: date, count: int) -> list[date]:
    out, y, m = [], start.year, start.month
    for _ in range(count):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def ensure_partitions(conn: Connection, months_ahead: int, now: datetime | None = None) -> int:
    """This month's and the next `months_ahead` months' partitions (and the default one, so
    an insert never fails for want of a partition). Returns how many were created."""
    start = (now or datetime.now(UTC)).date().replace(day=1)
    created = 0
    conn.execute(text(f"CREATE TABLE IF NOT EXISTS {PARENT}__pdefault "
                      f"PARTITION OF {PARENT} DEFAULT"))
    for first, after in zip(_months(start, months_ahead + 1),
                            _months(start, months_ahead + 2)[1:], strict=True):
        name = partition_name(first)
        if conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None:
            continue
        strays = conn.execute(text(
            f"SELECT count(*) FROM {PARENT}__pdefault WHERE recorded_at >= :a AND "
            "recorded_at < :b"), {"a": first, "b": after}).scalar()
        if strays:  # cannot attach over rows already in the default: leave them there
            log.warning("audit partition not created: rows in the default partition",
                        extra={"partition": name, "rows": strays})
            continue
        conn.execute(text(f"CREATE TABLE {name} PARTITION OF {PARENT} "
                          f"FOR VALUES FROM ('{first.isoformat()}') TO ('{after.isoformat()}')"))
        created += 1
    return created


def grant_runtime(conn: Connection, role: str) -> None:
    """Exactly the runtime role's rights, re-applied at every start (idempotent)."""
    q = conn.dialect.identifier_preparer.quote
    schema = q(conn.execute(text("SELECT current_schema()")).scalar_one())
    who = q(role)
    conn.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {who}"))
    conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}"))
    for table in (*tables.APPEND_ONLY, *tables_stream.APPEND_ONLY):
        conn.execute(text(f"GRANT SELECT, INSERT ON {q(table.name)} TO {who}"))
    for table in (*tables.UPDATABLE, *tables_stream.UPDATABLE):
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {q(table.name)} TO {who}"))
    conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {who}"))


@dataclass(frozen=True)
class OwnerMigrations:
    owner_url: str
    runtime_url: str
    months_ahead: int

    async def upgrade(self, engine: AsyncEngine, revision: str = "head") -> None:
        owner = make_engine(self.owner_url, pool_size=1)
        try:
            await MIGRATIONS.upgrade(owner, revision)
            async with owner.begin() as conn:
                await conn.run_sync(ensure_partitions, self.months_ahead)
                await conn.run_sync(self._grant)
        finally:
            await owner.dispose()

    def _grant(self, conn: Connection) -> None:
        runtime = make_url(self.runtime_url).username
        if runtime and runtime != make_url(self.owner_url).username:
            grant_runtime(conn, runtime)
        else:  # development only: production refuses one role for both (settings)
            log.warning("audit runs as its database's owner: the log is not protected")
