"""forms' database schema (SQLAlchemy 2 Core); its history is in migrations/ (Alembic).

Published versions are immutable: besides the code never updating them, a trigger (made by
migrations/versions/0001_initial.py) refuses UPDATE and DELETE on form_versions, so "GET a
version" returns the same content forever."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    func,
)

from shared.inbox import define_inbox
from shared.outbox import define_outbox
from shared.staff_access import define_staff_access

metadata = MetaData()

forms = Table(
    "forms", metadata,
    Column("form_id", String(100), primary_key=True),
    Column("unit_id", String(100), nullable=False),
    Column("service_type", String(50), nullable=False),
    Column("draft", JSON, nullable=False),
    Column("draft_updated_at", DateTime(timezone=True), nullable=False),
    Column("latest_version", Integer, nullable=False, default=0),
    Column("retired_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("unit_id", "service_type", name="one_form_per_unit_service"),
)

form_versions = Table(
    "form_versions", metadata,
    Column("form_id", String(100), ForeignKey("forms.form_id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("unit_id", String(100), nullable=False),
    Column("service_type", String(50), nullable=False),
    Column("content", JSON, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("published_by", String(100), nullable=False),  # pseudonymous staff id
    PrimaryKeyConstraint("form_id", "version"),
)

unit_services = Table(
    "unit_services", metadata,
    Column("unit_id", String(100), nullable=False),
    Column("service_type", String(50), nullable=False),
    Column("audience", String(20), nullable=False),
    PrimaryKeyConstraint("unit_id", "service_type"),
)

outbox = define_outbox(metadata)
inbox = define_inbox(metadata)

# Separate metadata (the staff-access projection; migrations/ compares both).
access_metadata = MetaData()
staff_access = define_staff_access(access_metadata)  # designers' current units (revocation)
