"""care-unit mailbox: the patient's region on a message another region handed over (the answer is sealed to that region's patient mailbox key).

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
    op.add_column("unit_messages", sa.Column("patient_region", sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.drop_column("unit_messages", "patient_region")
