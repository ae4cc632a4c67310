"""Schema migrations with Alembic, one environment per service (`services/<name>/migrations/`:
env.py, script.py.mako, versions/). `SchemaHistory.upgrade` runs at service start (in
EventRuntime.start, or the gateway's lifespan) and in the CLIs and test fixtures, under the
same advisory lock as before, so replicas starting together migrate once.

A database made by the previous release (shared.db.migrate's `schema_migrations`, no
`alembic_version`) holds exactly the schema of each service's first revision; it is stamped
with that revision, then upgraded. One at an older version is refused: the previous release
brings it up to date first.

A new revision: `.venv/bin/alembic -c services/<name>/migrations/alembic.ini revision -m "..."`
writes an empty one to fill in; tests/integration/test_migrations.py then checks that the
revisions, applied one by one to an empty database, give exactly the tables in the code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

LOCK = 7342001  # the advisory lock the numbered migrations used, so old and new never interleave
LEGACY_TABLE = "schema_migrations"


class Migrations(Protocol):
    """What a service's runtime migrates at start: a SchemaHistory, or a wrapper of one (audit
    migrates as its database's owner, then grants the runtime role its rights)."""

    async def upgrade(self, engine: AsyncEngine, revision: str = "head") -> None: ...


class LegacyTooOld(RuntimeError):
    """The database predates the previous release: upgrade it with that release first."""


@dataclass(frozen=True)
class SchemaHistory:
    directory: Path  # the service's Alembic environment
    legacy_head: int  # the last version the previous release recorded in schema_migrations
    baseline: str = "0001"  # the revision that reproduces the previous release's schema

    def config(self, conn: Connection) -> Any:
        from alembic.config import Config  # lazily: only services that migrate need it

        cfg = Config()
        cfg.set_main_option("script_location", str(self.directory))
        cfg.attributes["connection"] = conn
        return cfg

    async def upgrade(self, engine: AsyncEngine, revision: str = "head") -> None:
        async with engine.begin() as conn:
            await conn.execute(text(f"SELECT pg_advisory_xact_lock({LOCK})"))
            await conn.run_sync(self.upgrade_sync, revision)

    def upgrade_sync(self, conn: Connection, revision: str = "head") -> None:
        from alembic import command

        cfg = self.config(conn)
        if self._legacy_version(conn) is not None:
            command.stamp(cfg, self.baseline)
        command.upgrade(cfg, revision)

    def _legacy_version(self, conn: Connection) -> int | None:
        """The previous release's version of an unstamped legacy database, else None."""
        present = conn.execute(text("SELECT to_regclass(:t) IS NOT NULL, "
                                    "to_regclass('alembic_version') IS NOT NULL"),
                               {"t": LEGACY_TABLE}).one()
        if not present[0] or present[1]:
            return None
        version = conn.execute(text(f"SELECT max(version) FROM {LEGACY_TABLE}")).scalar()
        if version is None or version < self.legacy_head:
            raise LegacyTooOld(f"the database is at legacy schema version {version}; start the "
                               f"previous release once to bring it to {self.legacy_head}")
        return int(version)


def run_env(target_metadata: Sequence[MetaData]) -> None:
    """The body of every service's env.py: migrate on the connection SchemaHistory passes."""
    from alembic import context

    conn = context.config.attributes.get("connection")
    if conn is None:
        raise RuntimeError("run migrations through shared.migrations.SchemaHistory")
    context.configure(connection=conn, target_metadata=list(target_metadata),
                      include_object=_ours, compare_server_default=True)
    with context.begin_transaction():
        context.run_migrations()


def _ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # The previous release's bookkeeping table stays (history), but is no model of ours; the
    # partitions of a partitioned table ("<table>__p<suffix>") are made at run time.
    return not (type_ == "table" and (name == LEGACY_TABLE or "__p" in (name or "")))
