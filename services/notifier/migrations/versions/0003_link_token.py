"""notifier: the single-use token of an address-verification mail, kept only until the mail
is sent.

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
    op.add_column("notifications", sa.Column("link_token", sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column("notifications", "link_token")
