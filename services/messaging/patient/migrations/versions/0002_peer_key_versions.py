"""patient mailbox: peer keys carry the version their announcer signed with them, so the newest peer
key is chosen by version, never by the sender's clock. Keys learned before announcements
were signed have none (NULL) and are never preferred over a versioned one.

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
    op.add_column("peer_keys", sa.Column("version", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("peer_keys", "version")
