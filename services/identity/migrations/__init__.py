"""identity's schema history: an Alembic environment (env.py, versions/), run at start
(shared.runtime.EventRuntime) through `MIGRATIONS` (shared.migrations.SchemaHistory). A database
of the previous release (its last numbered shared.db.migrate version was 30) is stamped with
0001, which reproduces that schema, then upgraded."""

from pathlib import Path

from shared.migrations import SchemaHistory

MIGRATIONS = SchemaHistory(Path(__file__).parent, legacy_head=30)
