"""Reads and writes of a patient's contact settings. Saving an address and announcing its
verification (ContactVerificationRequested, through the outbox) commit together; so does
ContactSettingsChanged (the patient id only), on which the notifier drops what it cached of
the settings (`announce_change`, also called when an address is verified)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity.contact import tokens
from services.identity.patients.accounts import PatientAccounts
from services.identity.patients.tables import contact_verifications as cv
from services.identity.tables import patients
from shared.events.contracts import ContactSettingsChanged, ContactVerificationRequested


@dataclass(frozen=True)
class Notify:
    answer: bool
    reminder: bool


def settings_of(row: Any) -> dict[str, Any]:
    """The public view of a patients row's contact settings."""
    return {"email": row.email, "email_verified": row.email_verified_at is not None,
            "notify": {"answer": row.notify_answer, "reminder": row.notify_reminder}}


async def _row(conn: AsyncConnection, patient_id: uuid.UUID, *, lock: bool = False) -> Any:
    query = select(patients).where(patients.c.patient_id == patient_id)
    return (await conn.execute(query.with_for_update() if lock else query)).first()


async def save(conn: AsyncConnection, accounts: PatientAccounts, patient_id: uuid.UUID,
               email: str | None, notify: Notify, *, now: datetime | None = None) -> bool:
    """Stores the settings; a new address is unverified and gets a verification mail.
    False when there is no such patient."""
    now = now or datetime.now(UTC)
    row = await _row(conn, patient_id, lock=True)
    if row is None:
        return False
    values: dict[str, Any] = {"notify_answer": notify.answer, "notify_reminder": notify.reminder}
    same = email is not None and row.email is not None and email.casefold() == row.email.casefold()
    if not same:
        values |= {"email": email, "email_verified_at": None}
    await conn.execute(update(patients).where(patients.c.patient_id == patient_id)
                       .values(**values))
    # The same address, still unverified: saving again sends a fresh link (the old still works).
    if email is not None and (not same or row.email_verified_at is None):
        await _start_verification(conn, accounts, patient_id, email, now)
    await announce_change(conn, accounts, patient_id)
    return True


async def announce_change(conn: AsyncConnection, accounts: PatientAccounts,
                          patient_id: uuid.UUID) -> None:
    """Whoever caches the patient's contact settings drops them once this commits."""
    await accounts.emit(conn, patient_id, ContactSettingsChanged(patient_id=str(patient_id)))


async def _start_verification(conn: AsyncConnection, accounts: PatientAccounts,
                              patient_id: uuid.UUID, email: str, now: datetime) -> None:
    token, verification_id = tokens.new_token(), uuid.uuid4()
    expires = now + tokens.TTL
    await conn.execute(cv.insert().values(
        token_hash=tokens.token_hash(token), verification_id=verification_id,
        patient_id=patient_id, email=email, created_at=now, expires_at=expires))
    await accounts.emit(conn, patient_id, ContactVerificationRequested(
        patient_id=str(patient_id), verification_id=str(verification_id), token=token,
        expires_at=expires))


async def verify(conn: AsyncConnection, patient_id: uuid.UUID, token: str, *,
                 now: datetime | None = None) -> None:
    """Marks the address verified, or raises tokens.TokenRejected (nothing written)."""
    now = now or datetime.now(UTC)
    found = (await conn.execute(select(cv).where(cv.c.token_hash == tokens.token_hash(token))
                                .with_for_update())).first()
    row = await _row(conn, patient_id, lock=True)
    tokens.check(None if found is None else tokens.Verification(
        patient_id=str(found.patient_id), email=found.email, expires_at=found.expires_at,
        used_at=found.used_at), patient_id=str(patient_id),
        current_email=None if row is None else row.email, now=now)
    assert found is not None
    await conn.execute(update(cv).where(cv.c.token_hash == found.token_hash).values(used_at=now))
    if row.email_verified_at is None:
        await conn.execute(update(patients).where(patients.c.patient_id == patient_id)
                           .values(email_verified_at=now))


async def settings(conn: AsyncConnection, patient_id: uuid.UUID) -> dict[str, Any] | None:
    row = await _row(conn, patient_id)
    return None if row is None else settings_of(row)


async def pending_address(conn: AsyncConnection, verification_id: uuid.UUID,
                          now: datetime | None = None) -> str | None:
    """Where a verification mail goes: the address of a still-open verification, if it is
    still the patient's address; else None (nothing to send)."""
    now = now or datetime.now(UTC)
    found = (await conn.execute(
        select(cv.c.email, patients.c.email.label("current"))
        .join(patients, patients.c.patient_id == cv.c.patient_id)
        .where(cv.c.verification_id == verification_id, cv.c.used_at.is_(None),
               cv.c.expires_at > now))).first()
    if found is None or found.current is None or found.current.casefold() != found.email.casefold():
        return None
    return found.email
