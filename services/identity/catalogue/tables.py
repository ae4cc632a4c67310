"""The catalogue's own tables in identity's database, beside tables.py's
`staff` and `memberships`.

`memberships` stays what tokens are issued from: the *effective* memberships today. The
full picture (validity dates, removal, what was last announced) lives here, so the
importer and the validity sweep can tell what changed."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    MetaData,
    String,
    Table,
    Uuid,
    func,
)

from services.identity import tables as identity

metadata = MetaData()

catalogue_staff = Table(
    "catalogue_staff", metadata,
    Column("staff_id", Uuid, ForeignKey(identity.staff.c.staff_id), primary_key=True),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("removed_at", DateTime(timezone=True)),  # absent from a full import
    # {"profession": ..., "units": {unit: roles}} as last told to the services; NULL: never.
    Column("announced", JSON),
    Column("active", Boolean, nullable=False, server_default="false"),
    # The last revocation: tokens issued up to here are refused, even after reinstatement.
    Column("revoked_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

catalogue_memberships = Table(
    "catalogue_memberships", metadata,
    Column("staff_id", Uuid, ForeignKey(identity.staff.c.staff_id), primary_key=True),
    Column("unit_id", String(100), ForeignKey(identity.care_units.c.unit_id), primary_key=True),
    Column("roles", JSON, nullable=False),
    Column("valid_from", Date),
    Column("valid_to", Date),
)
