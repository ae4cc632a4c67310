"""identity's migrations 20–29: the OpenID Provider's tables (oidc/tables.py)."""

from __future__ import annotations

from sqlalchemy import Connection

from services.identity.oidc import tables
from shared.db import Migration


def _provider_tables(conn: Connection) -> None:
    tables.metadata.create_all(conn, tables=tables.ALL)


MIGRATIONS = [
    Migration(20, "identity: OpenID Provider sessions, codes, refresh tokens, login requests, "
                  "staff credentials, test e-ID orders", _provider_tables),
]
