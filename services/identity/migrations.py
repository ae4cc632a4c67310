"""identity's schema migrations, applied in order by shared.db.migrate at start-up.

Version 1 creates the tables as first defined in tables.py; a later change to a table is a
new migration with explicit DDL, never an edit of version 1."""

from __future__ import annotations

from sqlalchemy import Connection

from services.identity import tables as t
from services.identity.catalogue.tables import MIGRATIONS as CATALOGUE_MIGRATIONS
from services.identity.oidc.migrations import MIGRATIONS as OIDC_MIGRATIONS
from services.identity.patients.tables import MIGRATIONS as PATIENT_MIGRATIONS
from shared.db import Migration


def _initial(conn: Connection) -> None:
    t.metadata.create_all(conn, tables=[
        t.care_units, t.patients, t.staff, t.memberships, t.signing_keys, t.outbox])


MIGRATIONS = [Migration(1, "identity: units, patients, staff, memberships, keys, outbox",
                        _initial)]

# The patient side's tables (versions 10–19): register, codes, passwords, letters, throttle.
MIGRATIONS += PATIENT_MIGRATIONS

# The OpenID Provider's tables (versions 20–29) are defined next to it.
MIGRATIONS += OIDC_MIGRATIONS

# The staff catalogue's tables (versions 30–39) are defined next to it.
MIGRATIONS += CATALOGUE_MIGRATIONS
