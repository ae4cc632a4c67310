"""identity's patient-side tables: the population register copy, activation codes, patient
passwords, the letter print queue, login throttling and e-mail verification tokens.

A MetaData of their own (identity's Alembic environment, services/identity/migrations/,
compares all four)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
)

from services.identity.tables import patients

metadata = MetaData()

population_register = Table(
    "population_register", metadata,
    Column("personnummer", String(12), primary_key=True),  # or samordningsnummer, 12 digits
    Column("samordningsnummer", Boolean, nullable=False),
    Column("given_name", String(100), nullable=False),
    Column("family_name", String(100), nullable=False),
    Column("care_of", String(200)),
    Column("street", String(200)),
    Column("postal_code", String(10)),
    Column("city", String(100)),
    # Sekretessmarkering: the address is not stored at all, so it cannot be shown anywhere.
    Column("protected_identity", Boolean, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("listed_unit", String(100)),  # listad vid: a care unit's id
    CheckConstraint("NOT protected_identity OR (care_of IS NULL AND street IS NULL"
                    " AND postal_code IS NULL AND city IS NULL)",
                    name="protected_identity_has_no_address"),
)

patient_credentials = Table(
    "patient_credentials", metadata,
    Column("patient_id", Uuid, ForeignKey(patients.c.patient_id), primary_key=True),
    Column("password_hash", String(255), nullable=False),  # argon2id, PHC string
    Column("activated_at", DateTime(timezone=True), nullable=False),
    Column("password_set_at", DateTime(timezone=True), nullable=False),
)

activation_codes = Table(
    "activation_codes", metadata,
    Column("code_id", Uuid, primary_key=True),
    Column("patient_id", Uuid, ForeignKey(patients.c.patient_id), nullable=False, index=True),
    Column("code_hash", String(255), nullable=False),  # argon2id: the code is never stored
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),  # a newer letter replaced it
)

print_queue = Table(
    "print_queue", metadata,
    Column("letter_id", Uuid, primary_key=True),
    Column("patient_id", Uuid, ForeignKey(patients.c.patient_id), nullable=False, index=True),
    Column("kind", String(32), nullable=False),  # activation_letter
    Column("routing", String(32), nullable=False),  # home_address | skatteverket_forwarding
    Column("state", String(16), nullable=False),  # queued | printing | posted | withdrawn
    # The PDF holds a live activation code: sealed under the KEK, dropped once posted.
    Column("pdf_sealed", LargeBinary),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("print_queue_by_state", print_queue.c.state, print_queue.c.created_at)

login_throttle = Table(
    "login_throttle", metadata,
    Column("throttle_key", String(100), primary_key=True),  # "<scope>:<hash or address>"
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime(timezone=True)),
    Column("blocked_until", DateTime(timezone=True)),
)

contact_verifications = Table(
    "contact_verifications", metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 hex: the token is not stored
    Column("verification_id", Uuid, nullable=False, unique=True),
    Column("patient_id", Uuid, ForeignKey(patients.c.patient_id), nullable=False, index=True),
    Column("email", String(320), nullable=False),  # the address this token verifies
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

ALL = [population_register, patient_credentials, activation_codes, print_queue, login_throttle,
       contact_verifications]
