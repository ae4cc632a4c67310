"""Tables of the OpenID Provider and the login front doors, in their own MetaData (identity's
Alembic environment, services/identity/migrations/, compares all four).

Secrets are never stored as presented: authorization codes and refresh tokens by SHA-256
(they are long random strings, so a plain hash is enough), passwords as argon2id, TOTP
secrets wrapped by the key-encryption key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    TypeDecorator,
    Uuid,
)

metadata = MetaData()


class UtcDateTime(TypeDecorator[datetime]):
    """timestamptz that always comes back timezone-aware, on every dialect (the unit tests
    run these tables on SQLite, which keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

# A pending /authorize request while the person logs in, bound to one browser.
login_requests = Table(
    "oidc_login_requests", metadata,
    Column("request_id", String(64), primary_key=True),
    Column("browser_hash", String(64), nullable=False),  # sha256 of the binding cookie
    Column("csrf_hash", String(64), nullable=False),
    Column("params", JSON, nullable=False),  # the validated authorization request
    Column("kind", String(16)),  # patient | staff, once an e-ID login starts
    Column("eid_provider", String(32)),
    Column("eid_state", JSON),  # what the e-ID provider needs back on return
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("completed_at", UtcDateTime()),
)

# One login of one person at one client; its refresh tokens form one rotation family.
sessions = Table(
    "oidc_sessions", metadata,
    Column("sid", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("loa", Integer, nullable=False),
    Column("amr", JSON, nullable=False),
    Column("auth_time", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime()),
    Column("revoked_reason", String(64)),
    Index("oidc_sessions_subject", "subject"),
)

codes = Table(
    "oidc_codes", metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("sid", String(64), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("redirect_uri", String(2000), nullable=False),
    Column("scope", String(200), nullable=False),
    Column("nonce", String(200)),
    Column("code_challenge", String(128)),
    Column("code_challenge_method", String(16)),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime()),
)

refresh_tokens = Table(
    "oidc_refresh_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("sid", String(64), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("scope", String(200), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime()),  # rotated: presenting it again is reuse
    Index("oidc_refresh_tokens_sid", "sid"),
)

# Staff authentication factors; the staff catalogue itself is tables.staff.
staff_credentials = Table(
    "staff_credentials", metadata,
    Column("staff_id", Uuid, primary_key=True),
    Column("password_hash", String(200), nullable=False),  # argon2id
    Column("totp_secret_wrapped", LargeBinary, nullable=False),  # AES-GCM under the KEK
    Column("eid_personnummer", String(12), unique=True),  # for staff e-ID login
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("locked_until", UtcDateTime()),
    Column("last_totp_step", BigInteger),  # a TOTP value is accepted once (RFC 6238 §5.2)
)

# The built-in test e-ID provider's own "orders" (like a test BankID app's).
test_eid_orders = Table(
    "test_eid_orders", metadata,
    Column("order_ref", String(64), primary_key=True),
    Column("request_id", String(64), nullable=False),
    Column("csrf_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # pending | approved | cancelled | collected
    Column("personnummer", String(12)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

ALL = [login_requests, sessions, codes, refresh_tokens, staff_credentials, test_eid_orders]
