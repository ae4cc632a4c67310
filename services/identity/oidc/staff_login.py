"""Staff authentication: HSA-id + password (argon2id) + TOTP (RFC 6238, `cryptography`), or
e-ID bound to the staff member's personnummer. Synchronous (argon2 is CPU work): the front
door runs it in the thread pool.

- A TOTP value is accepted once: the step it belongs to must be later than the last one used
  (RFC 6238 §5.2); one step of clock drift either way is accepted.
- The account itself is never locked by failures (anyone could lock a unit's staff out by
  guessing their HSA-ids): failures are throttled per client and per (HSA-id, client) in
  oidc/staff_throttle.py. `locked_until` is only honoured (an operator may set it). Unknown
  HSA-ids, locked accounts and wrong factors all look the same to the caller, and an unknown
  HSA-id still costs one argon2 verification.
- Development credentials come from services/identity/seed/<region>.credentials.json
  (fictitious; only applied where the seed is, i.e. development and test), whose `default`
  also covers staff imported later (enrol_dev_default)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor import InvalidToken
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from services.identity import domain
from services.identity.catalogue.tables import catalogue_staff
from services.identity.oidc.tables import staff_credentials
from services.identity.tables import memberships, staff
from shared.crypto.keyring import KeyWrapper

TOTP_STEP_S = 30
TOTP_DIGITS = 6
DRIFT_STEPS = 1

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@cache
def _dummy_hash() -> str:
    return _hasher.hash("an unknown user's password is checked against this")


def _totp(secret: bytes) -> TOTP:
    # SHA-1 and 6 digits: what every authenticator app understands (RFC 6238 defaults).
    return TOTP(secret, TOTP_DIGITS, SHA1(), TOTP_STEP_S, enforce_key_length=False)


def totp_code(secret: bytes, at: float) -> str:
    return _totp(secret).generate(int(at)).decode()


def accepted_step(secret: bytes, otp: str, now: float, last_step: int | None) -> int | None:
    """The time step `otp` belongs to, if it is within the drift window and not used yet."""
    current = int(now) // TOTP_STEP_S
    totp = _totp(secret)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        try:
            totp.verify(otp.encode(), step * TOTP_STEP_S)
        except InvalidToken:
            continue
        return step
    return None


def _password_ok(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _wrap_id(staff_id: uuid.UUID) -> str:
    return f"totp:{staff_id}"  # associated data: a wrapped secret moved to another row fails


def verify_staff(conn: Connection, wrapper: KeyWrapper, *, hsa_id: str, password: str, otp: str,
                 now: datetime | None = None) -> domain.Subject | None:
    now = now or datetime.now(UTC)
    row = conn.execute(
        select(staff.c.staff_id, staff.c.profession, staff_credentials)
        .join(staff_credentials, staff_credentials.c.staff_id == staff.c.staff_id)
        .join(catalogue_staff, catalogue_staff.c.staff_id == staff.c.staff_id)
        .where(staff.c.hsa_id == hsa_id, catalogue_staff.c.active)  # revoked: no login
        .with_for_update(of=staff_credentials)).first()
    if row is None or (row.locked_until is not None and row.locked_until > now):
        _password_ok(_dummy_hash(), password)  # the same work as for a real account
        return None
    step = None
    if _password_ok(row.password_hash, password):
        secret = wrapper.unwrap(_wrap_id(row.staff_id), row.totp_secret_wrapped)
        step = accepted_step(secret, otp.strip(), now.timestamp(), row.last_totp_step)
    where = staff_credentials.c.staff_id == row.staff_id
    if step is None:  # counted for operators only: refusals are the throttle's
        conn.execute(update(staff_credentials).where(where).values(
            failed_attempts=row.failed_attempts + 1))
        return None
    conn.execute(update(staff_credentials).where(where).values(
        failed_attempts=0, locked_until=None, last_totp_step=step))
    return _subject(conn, row.staff_id, row.profession)


def staff_by_eid(conn: Connection, personnummer: str) -> domain.Subject | None:
    row = conn.execute(select(staff.c.staff_id, staff.c.profession)
                       .join(staff_credentials, staff_credentials.c.staff_id == staff.c.staff_id)
                       .join(catalogue_staff, catalogue_staff.c.staff_id == staff.c.staff_id)
                       .where(staff_credentials.c.eid_personnummer == personnummer,
                              catalogue_staff.c.active)).first()
    return _subject(conn, row.staff_id, row.profession) if row else None


def _subject(conn: Connection, staff_id: uuid.UUID, profession: str) -> domain.Subject:
    units = {r.unit_id: list(r.roles) for r in conn.execute(
        select(memberships.c.unit_id, memberships.c.roles)
        .where(memberships.c.staff_id == staff_id).order_by(memberships.c.unit_id))}
    return domain.staff_subject(str(staff_id), profession, units)


# --- development credentials ----------------------------------------------------------------

class DevSecrets(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    password: str = Field(min_length=12)
    totp_secret_base32: str = Field(min_length=16)


class DevCredential(DevSecrets):
    hsa_id: str = Field(min_length=1, max_length=64)
    eid_personnummer: str | None = None


class DevCredentials(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # allows a "_comment"
    default: DevSecrets | None = None  # for every seeded staff member without an entry
    credentials: list[DevCredential] = []

    def for_staff(self, hsa_id: str) -> DevCredential | None:
        own = next((c for c in self.credentials if c.hsa_id == hsa_id), None)
        if own is None and self.default is not None:
            return DevCredential(hsa_id=hsa_id, **self.default.model_dump())
        return own


def credentials_file(seed_dir: Path, seed_file: str) -> Path:
    return seed_dir / seed_file.replace(".json", ".credentials.json")


def load_dev_credentials(path: Path) -> DevCredentials:
    return DevCredentials.model_validate(json.loads(path.read_text(encoding="utf-8")))


def enrol_dev_default(conn: Connection, wrapper: KeyWrapper, hsa_id: str,
                      default: DevSecrets) -> None:
    """Development and test only (the seed's `default`): staff who joined through a catalogue
    import after start-up get the documented dev credentials at their first login attempt."""
    staff_id = conn.execute(
        select(staff.c.staff_id)
        .outerjoin(staff_credentials, staff_credentials.c.staff_id == staff.c.staff_id)
        .where(staff.c.hsa_id == hsa_id, staff_credentials.c.staff_id.is_(None))
    ).scalar_one_or_none()
    if staff_id is None:
        return
    try:
        with conn.begin_nested():  # two first logins at once: one of them enrols
            conn.execute(staff_credentials.insert().values(
                staff_id=staff_id, password_hash=_hasher.hash(default.password),
                totp_secret_wrapped=wrapper.wrap(_wrap_id(staff_id),
                                                 base64.b32decode(default.totp_secret_base32)),
                failed_attempts=0))
    except IntegrityError:
        pass


def seed_credentials(conn: Connection, wrapper: KeyWrapper, data: DevCredentials) -> int:
    """Adds credentials for staff that have none yet; returns how many were added."""
    have = set(conn.execute(select(staff_credentials.c.staff_id)).scalars())
    hashes: dict[str, str] = {}  # dev data shares passwords; argon2 once each keeps start-up quick
    added = 0
    for hsa_id, staff_id in conn.execute(select(staff.c.hsa_id, staff.c.staff_id)).tuples().all():
        item = data.for_staff(hsa_id)
        if item is None or staff_id in have:
            continue
        secret = base64.b32decode(item.totp_secret_base32)
        if item.password not in hashes:
            hashes[item.password] = _hasher.hash(item.password)
        conn.execute(staff_credentials.insert().values(
            staff_id=staff_id, password_hash=hashes[item.password],
            totp_secret_wrapped=wrapper.wrap(_wrap_id(staff_id), secret),
            eid_personnummer=domain.normalize_personnummer(item.eid_personnummer or "") or None,
            failed_attempts=0))
        added += 1
    return added
