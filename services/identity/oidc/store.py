"""Sessions, authorization codes and refresh tokens (synchronous SQL, for authlib).

A session is one login at one client; its refresh tokens form one rotation family. Codes and
refresh tokens are stored as SHA-256 of the value and are consumed atomically (row lock), so
two concurrent presentations of the same value cannot both succeed: the second one is reuse,
and reuse revokes the whole session (RFC 9700 §4.14.2; RFC 6749 §4.1.2 for codes)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Update, select, update

from services.identity.oidc.models import ACR, CodeRecord, LoginUser, RefreshRecord
from services.identity.oidc.tables import (
    codes,
    login_requests,
    refresh_tokens,
    sessions,
    test_eid_orders,
)

log = logging.getLogger(__name__)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def create_session(conn: Connection, user: LoginUser, client_id: str, ttl: timedelta) -> str:
    sid = secrets.token_urlsafe(24)
    conn.execute(sessions.insert().values(
        sid=sid, client_id=client_id, subject=user.who.subject, kind=user.who.kind,
        loa=user.who.loa, amr=list(user.amr), auth_time=user.auth_time,
        expires_at=user.auth_time + ttl))
    return sid


def save_code(conn: Connection, code: str, *, sid: str, client_id: str, redirect_uri: str,
              scope: str, data: dict[str, Any], ttl: timedelta) -> None:
    conn.execute(codes.insert().values(
        code_hash=digest(code), sid=sid, client_id=client_id, redirect_uri=redirect_uri,
        scope=scope, nonce=data.get("nonce"), code_challenge=data.get("code_challenge"),
        code_challenge_method=data.get("code_challenge_method"),
        expires_at=datetime.now(UTC) + ttl))


def consume_code(conn: Connection, code: str, client_id: str) -> CodeRecord | None:
    """The code's record, marked used; None if unknown, expired, for another client or
    already used (then the session it started is revoked too)."""
    row = conn.execute(select(codes, sessions.c.auth_time, sessions.c.amr, sessions.c.loa)
                       .join(sessions, sessions.c.sid == codes.c.sid)
                       .where(codes.c.code_hash == digest(code))
                       .with_for_update(of=codes)).first()
    if row is None:
        return None
    if row.used_at is not None or row.client_id != client_id:
        revoke_session(conn, row.sid, "code_reuse" if row.used_at else "code_wrong_client")
        return None
    conn.execute(update(codes).where(codes.c.code_hash == row.code_hash)
                 .values(used_at=datetime.now(UTC)))
    if row.expires_at <= datetime.now(UTC):
        return None
    return CodeRecord(sid=row.sid, client_id=row.client_id, redirect_uri=row.redirect_uri,
                      scope=row.scope, nonce=row.nonce, code_challenge=row.code_challenge,
                      code_challenge_method=row.code_challenge_method,
                      auth_time=row.auth_time, amr=tuple(row.amr), acr=ACR.get(row.loa))


def nonce_used(conn: Connection, client_id: str, nonce: str) -> bool:
    return conn.execute(select(codes.c.code_hash).where(
        codes.c.client_id == client_id, codes.c.nonce == nonce).limit(1)).first() is not None


def live_session(conn: Connection, sid: str) -> Any | None:
    row = conn.execute(select(sessions).where(sessions.c.sid == sid)).first()
    if row is None or row.revoked_at is not None or row.expires_at <= datetime.now(UTC):
        return None
    return row


def save_refresh_token(conn: Connection, token: str, *, sid: str, client_id: str, scope: str,
                       ttl: timedelta) -> None:
    now = datetime.now(UTC)
    session_end = conn.execute(select(sessions.c.expires_at)
                               .where(sessions.c.sid == sid)).scalar_one()
    conn.execute(refresh_tokens.insert().values(
        token_hash=digest(token), sid=sid, client_id=client_id, scope=scope, issued_at=now,
        expires_at=min(now + ttl, session_end)))


def consume_refresh_token(conn: Connection, token: str, client_id: str) -> RefreshRecord | None:
    """Rotation: the token's record, marked used. A token presented a second time (or by
    another client) revokes its whole family; expired or revoked ones give None."""
    row = conn.execute(select(refresh_tokens).where(refresh_tokens.c.token_hash == digest(token))
                       .with_for_update()).first()
    if row is None:
        return None
    if row.used_at is not None or row.client_id != client_id:
        reason = "refresh_token_reuse" if row.used_at else "refresh_token_wrong_client"
        revoke_session(conn, row.sid, reason)
        return None
    if row.expires_at <= datetime.now(UTC) or live_session(conn, row.sid) is None:
        return None
    conn.execute(update(refresh_tokens).where(refresh_tokens.c.token_hash == row.token_hash)
                 .values(used_at=datetime.now(UTC)))
    return RefreshRecord(sid=row.sid, client_id=row.client_id, scope=row.scope,
                         expires_at=row.expires_at)


def find_refresh_token(conn: Connection, token: str) -> RefreshRecord | None:
    row = conn.execute(select(refresh_tokens)
                       .where(refresh_tokens.c.token_hash == digest(token))).first()
    if row is None:
        return None
    return RefreshRecord(sid=row.sid, client_id=row.client_id, scope=row.scope,
                         expires_at=row.expires_at)


def revoke_session(conn: Connection, sid: str, reason: str) -> None:
    done = conn.execute(update(sessions).where(sessions.c.sid == sid,
                                               sessions.c.revoked_at.is_(None))
                        .values(revoked_at=datetime.now(UTC), revoked_reason=reason))
    if done.rowcount:
        log.info("session revoked", extra={"reason": reason})


def revoke_subject_sessions(subject: str, reason: str) -> Update:
    """Every live session of a person (e.g. staff revoked from the catalogue): a statement to
    run in the caller's own transaction, sync or async. Their refresh tokens stop working."""
    return (update(sessions).where(sessions.c.subject == subject,
                                   sessions.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC), revoked_reason=reason))


def purge_expired(conn: Connection, older_than: timedelta) -> None:
    """Forget what expired more than `older_than` ago: codes, refresh tokens, login
    requests, test e-ID orders and ended sessions (reuse of a purged token is then simply
    an unknown token, long after its family ended anyway)."""
    cutoff = datetime.now(UTC) - older_than
    for table in (codes, refresh_tokens, login_requests, test_eid_orders):
        conn.execute(table.delete().where(table.c.expires_at < cutoff))
    conn.execute(sessions.delete().where(sessions.c.expires_at < cutoff))
