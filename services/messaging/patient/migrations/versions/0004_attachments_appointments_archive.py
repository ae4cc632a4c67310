"""patient mailbox: attachments (staged uploads and the files of sent and received
messages, sealed), appointments mirrored from the care unit, the patient's archive and the
result of a change of care centre.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from services.messaging.revision_tables import appointments_table, attachments_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("conversations", sa.Column("archived_at", sa.DateTime(timezone=True),
                                             nullable=True))
    op.add_column("conversations", sa.Column("listing_changed_at", sa.DateTime(timezone=True),
                                             nullable=True))
    attachments_table()
    appointments_table()


def downgrade() -> None:
    op.drop_table("appointments")
    op.drop_table("attachments")
    op.drop_column("conversations", "listing_changed_at")
    op.drop_column("conversations", "archived_at")
