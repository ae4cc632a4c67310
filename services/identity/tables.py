"""identity's tables (SQLAlchemy 2 Core), its transactional outbox and its inbox (events it
follows: a care unit accepting a change of listing)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    func,
    true,
)

from shared.inbox import define_inbox
from shared.outbox import define_outbox

metadata = MetaData()

care_units = Table(
    "care_units", metadata,
    Column("unit_id", String(100), primary_key=True),  # HSA-id of the unit
    Column("name", String(200), nullable=False),
    Column("region", String(64), nullable=False),
    Column("functional_email", String(320), nullable=False),
    Column("services", JSON, nullable=False),  # list of ServiceType
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

patients = Table(
    "patients", metadata,
    Column("patient_id", Uuid, primary_key=True),  # pseudonym: the only id that leaves identity
    Column("personnummer", String(12), nullable=False, unique=True),
    Column("given_name", String(100), nullable=False),
    Column("family_name", String(100), nullable=False),
    Column("email", String(320)),
    # Set once the patient followed the mailed link (contact/); only then is mail sent there.
    Column("email_verified_at", DateTime(timezone=True)),
    Column("notify_answer", Boolean, nullable=False, server_default=true()),
    Column("notify_reminder", Boolean, nullable=False, server_default=true()),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

staff = Table(
    "staff", metadata,
    Column("staff_id", Uuid, primary_key=True),  # pseudonym, as for patients
    Column("hsa_id", String(64), nullable=False, unique=True),
    Column("given_name", String(100), nullable=False),
    Column("family_name", String(100), nullable=False),
    Column("profession", String(64), nullable=False),
    Column("email", String(320)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

memberships = Table(
    "memberships", metadata,
    Column("staff_id", Uuid, ForeignKey("staff.staff_id"), primary_key=True),
    Column("unit_id", String(100), ForeignKey("care_units.unit_id"), primary_key=True),
    Column("roles", JSON, nullable=False),  # list of Role
)

signing_keys = Table(
    "signing_keys", metadata,
    Column("kid", String(100), primary_key=True),
    Column("wrapped_private_jwk", LargeBinary, nullable=False),  # AES-GCM under the KEK
    Column("public_jwk", JSON, nullable=False),  # served by the JWKS without unwrapping
    Column("state", String(16), nullable=False),  # active | retired
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True)),
)

outbox = define_outbox(metadata)
inbox = define_inbox(metadata)
