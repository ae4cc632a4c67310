"""Activation letters: a person in the population register asks for one (self-service, by
personnummer); identity makes them a patient if they are not yet (accounts.py), makes
a one-time code (only its argon2 hash is kept; a new letter revokes older codes) and queues
the letter for printing. The letter goes to the address in the register, or via
Skatteverket's forwarding for protected identity, so asking for someone else's letter only
sends that person a letter. The first login with the code sets a password
(PatientActivated) and logs in at the password level of assurance.

Whatever the outcome of a request (queued, not in the register, no address, too many
letters lately) the caller sees the same answer, and a code is always hashed first so the
time taken does not tell either."""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity import domain, passwords
from services.identity.lockout import AccountBlocked
from services.identity.patients import letters, personnummer, register
from services.identity.patients.accounts import PatientAccounts
from services.identity.patients.login import PatientAuth
from services.identity.patients.print_queue import PrintQueue, Routing
from services.identity.patients.tables import activation_codes, patient_credentials
from services.identity.tables import patients
from shared.auth import LOA_PASSWORD
from shared.events.contracts import PatientActivated

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_LENGTH = 12  # 60 bits
_LETTER_LOCK = 7342111


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def display_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalize_code(typed: str) -> str:
    return "".join(c for c in typed.upper() if c not in " -")


class ActivationFailed(Exception):
    """Unknown person, wrong, used or expired code, or locked: deliberately one case."""


class PasswordRejected(Exception):
    def __init__(self, problems: list[passwords.PasswordProblem]) -> None:
        super().__init__(", ".join(p.code for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Activation:
    auth: PatientAuth
    queue: PrintQueue
    accounts: PatientAccounts
    login_url: str
    code_ttl: timedelta = timedelta(days=30)
    letters_per_window: int = 3
    letter_window: timedelta = timedelta(days=30)

    async def request_letter(self, number: personnummer.Personnummer,
                             now: datetime | None = None) -> str:
        """Queue an activation letter if the register allows; returns what happened (for
        the log, never for the caller)."""
        now = now or datetime.now(UTC)
        code = new_code()
        code_hash = await self.auth.hasher.hash(code)  # every outcome pays for one hash
        async with self.auth.engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k, hashtext(:p))"),
                               {"k": _LETTER_LOCK, "p": number.value})
            entry = await register.lookup(conn, number.value)
            if entry is None:
                outcome = "not_in_register"
            elif not entry.protected_identity and not entry.has_address:
                outcome = "no_address"
            else:
                patient_id = await self.accounts.ensure(conn, entry)
                if await self.queue.sent_since(conn, patient_id,
                                               now - self.letter_window) >= self.letters_per_window:
                    outcome = "letter_limit"
                else:
                    await self._replace_codes(conn, patient_id, code_hash, now)
                    pdf = letters.activation_letter(
                        _recipient(entry, number), display_code(code), login_url=self.login_url,
                        expires=(now + self.code_ttl).date(), today=now.date())
                    routing: Routing = ("skatteverket_forwarding" if entry.protected_identity
                                        else "home_address")
                    await self.queue.enqueue(conn, patient_id, routing, pdf, now=now)
                    outcome = "queued"
        log.info("activation letter requested", extra={"status": outcome})
        return outcome

    async def _replace_codes(self, conn: AsyncConnection, patient_id: uuid.UUID,
                             code_hash: str, now: datetime) -> None:
        c = activation_codes
        await conn.execute(c.update().where(c.c.patient_id == patient_id, c.c.used_at.is_(None),
                                            c.c.revoked_at.is_(None)).values(revoked_at=now))
        await conn.execute(c.insert().values(
            code_id=uuid.uuid4(), patient_id=patient_id, code_hash=code_hash, created_at=now,
            expires_at=now + self.code_ttl))

    async def activate(self, number: personnummer.Personnummer, code: str, password: str, *,
                       client_ip: str | None = None) -> domain.Subject:
        """Check the code and set the password; raises ActivationFailed, PasswordRejected
        or lockout.ClientThrottled. The code counts against the same lockout as logins."""
        if problems := passwords.generic_problems(password):
            raise PasswordRejected(problems)  # says nothing about anyone: safe to say first
        now, code = datetime.now(UTC), normalize_code(code)
        try:
            await self.auth.guard.begin(self.auth.engine, number.value, client_ip, now)
        except AccountBlocked:
            await self.auth.hasher.verify(None, code)
            raise ActivationFailed from None
        async with self.auth.engine.connect() as conn:
            pending = await _pending_code(conn, number.value, now)
        if not await self.auth.hasher.verify(pending.code_hash if pending else None, code):
            raise ActivationFailed
        assert pending is not None
        await self.auth.guard.succeeded(self.auth.engine, number.value, client_ip)
        names = [pending.given_name, pending.family_name]
        if problems := passwords.personal_problems(password, number.value, names):
            raise PasswordRejected(problems)  # the code stays valid for another try
        await self._set_password(pending.code_id, pending.patient_id,
                                 await self.auth.hasher.hash(password), now)
        log.info("patient activated", extra={"status": "activated"})
        return domain.patient_subject(str(pending.patient_id), LOA_PASSWORD)

    async def _set_password(self, code_id: uuid.UUID, patient_id: uuid.UUID, password_hash: str,
                            now: datetime) -> None:
        c = activation_codes
        async with self.auth.engine.begin() as conn:
            used = await conn.execute(c.update().where(
                c.c.code_id == code_id, c.c.used_at.is_(None), c.c.revoked_at.is_(None))
                .values(used_at=now))
            if used.rowcount != 1:
                raise ActivationFailed  # another activation with the same code came first
            values = {"password_hash": password_hash, "activated_at": now, "password_set_at": now}
            await conn.execute(insert(patient_credentials).values(patient_id=patient_id, **values)
                               .on_conflict_do_update(index_elements=["patient_id"], set_=values))
            await self.accounts.emit(conn, patient_id,
                                     PatientActivated(patient_id=str(patient_id), activated_at=now))


async def _pending_code(conn: AsyncConnection, number: str, now: datetime):
    c = activation_codes
    return (await conn.execute(
        select(c.c.code_id, c.c.code_hash, patients.c.patient_id, patients.c.given_name,
               patients.c.family_name)
        .join(patients, patients.c.patient_id == c.c.patient_id)
        .where(patients.c.personnummer == number, c.c.used_at.is_(None),
               c.c.revoked_at.is_(None), c.c.expires_at > now)
        .order_by(c.c.created_at.desc()).limit(1))).first()


def _recipient(entry: register.RegisterEntry, number: personnummer.Personnummer
               ) -> letters.Recipient:
    name = f"{entry.given_name} {entry.family_name}"
    if entry.protected_identity:
        return letters.Recipient(name, (), forwarded_by_skatteverket=True, personnummer=str(number))
    lines = [f"c/o {entry.care_of}"] if entry.care_of else []
    lines += [entry.street or "", f"{entry.postal_code} {entry.city}"]
    return letters.Recipient(name, tuple(lines))

