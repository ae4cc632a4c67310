"""Patient login with personnummer and password (set with an activation letter's code).

The credential check behind the OpenID Provider's password login (oidc/login_checks.py):

    subject = await request.app.state.patient_auth.verify_password(
        personnummer, password, client_ip=...)       # -> domain.Subject at loa 2

It raises LoginFailed for an unknown personnummer, a person without a password, a wrong
password and a locked account alike; every one of those runs exactly one argon2 verify, so
neither the answer nor its timing tells whether an account exists. It raises
lockout.ClientThrottled when the client address is throttled (nothing about the account).
It manages its own short transactions: the failure counted up front must survive the
refusal, which a caller's rolled-back transaction would lose."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.identity import domain
from services.identity.lockout import AccountBlocked, Guard
from services.identity.passwords import Hasher
from services.identity.patients import personnummer
from services.identity.patients.tables import patient_credentials
from services.identity.tables import patients
from shared.auth import LOA_PASSWORD


class LoginFailed(Exception):
    """Deliberately one case: unknown, not activated, wrong password or locked."""


@dataclass(frozen=True)
class PatientAuth:
    engine: AsyncEngine
    hasher: Hasher
    guard: Guard = field(default_factory=Guard)

    async def verify_password(self, number: str, password: str, *,
                              client_ip: str | None = None) -> domain.Subject:
        """The patient with this personnummer and password, at the password level (loa 2).
        Raises personnummer.InvalidPersonnummer for a malformed number (nothing to hide)."""
        value = personnummer.normalize(number)
        try:
            await self.guard.begin(self.engine, value, client_ip)
        except AccountBlocked:
            await self.hasher.verify(None, password)  # the same work as a wrong password
            raise LoginFailed from None
        async with self.engine.connect() as conn:
            account = await _account(conn, value)
        if not await self.hasher.verify(account.password_hash if account else None, password):
            raise LoginFailed
        assert account is not None
        await self.guard.succeeded(self.engine, value, client_ip)
        if self.hasher.needs_rehash(account.password_hash):
            await self._rehash(account.patient_id, password)
        return domain.patient_subject(str(account.patient_id), LOA_PASSWORD)

    async def _rehash(self, patient_id, password: str) -> None:
        """Parameters were raised since this hash was made: store one made with the new."""
        new_hash = await self.hasher.hash(password)
        async with self.engine.begin() as conn:
            await conn.execute(patient_credentials.update()
                               .where(patient_credentials.c.patient_id == patient_id)
                               .values(password_hash=new_hash))


async def _account(conn: AsyncConnection, number: str):
    return (await conn.execute(
        select(patients.c.patient_id, patient_credentials.c.password_hash)
        .join(patient_credentials, patient_credentials.c.patient_id == patients.c.patient_id)
        .where(patients.c.personnummer == number))).first()


def _patient_auth(request: Request) -> PatientAuth:
    return request.app.state.patient_auth


PatientAuthDep = Annotated[PatientAuth, Depends(_patient_auth)]
