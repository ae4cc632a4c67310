"""patient mailbox: the region of each care unit (a unit of another region is reached through routing's hand-over, docs/regions.md).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("care_units", sa.Column("region", sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.drop_column("care_units", "region")
