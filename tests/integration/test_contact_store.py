"""A patient's contact settings on a real PostgreSQL (identity's schema in a private schema of
the scratch database): saving an address stores it unverified with one hashed token and a
ContactVerificationRequested in the outbox (token, no address); the token verifies once,
not after a day, not after the address changed; a rejected token writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.identity import tables
from services.identity.contact import store, tokens
from services.identity.migrations import MIGRATIONS
from services.identity.patients import register
from services.identity.patients.accounts import PatientAccounts
from services.identity.patients.tables import contact_verifications
from services.identity.seed import SEED_DIR
from shared.events import Source
from shared.outbox import Outbox

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
ACCOUNTS = PatientAccounts(outbox=Outbox(tables.outbox, channel="it_contact"),
                           source=Source(service="identity", region="stockholm"))
ON = store.Notify(answer=True, reminder=True)


@pytest.fixture
async def patient(fresh_schema):
    engine = await fresh_schema("contact")
    await MIGRATIONS.upgrade(engine)
    async with engine.begin() as conn:
        await register.import_entries(conn, register.load_file(
            SEED_DIR / "population_stockholm.csv"))
        entry = await register.lookup(conn, "196702029247")
        pid = await ACCOUNTS.ensure(conn, entry)
    return engine, pid


async def verification_events(engine) -> list[dict]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(tables.outbox.c.event_type, tables.outbox.c.payload)
                                   .order_by(tables.outbox.c.id))).all()
    return [json.loads(r.payload)["data"] for r in rows
            if r.event_type == "identity.contact_verification_requested.v1"]


async def save(engine, pid, email, notify=ON, now=NOW):
    async with engine.begin() as conn:
        assert await store.save(conn, ACCOUNTS, pid, email, notify, now=now)
        return await store.settings(conn, pid)


async def verify(engine, pid, token, now=NOW):
    try:
        async with engine.begin() as conn:
            await store.verify(conn, pid, token, now=now)
    except tokens.TokenRejected as exc:
        return exc.code
    return "ok"


async def test_an_address_is_verified_once_by_its_token(patient):
    engine, pid = patient
    saved = await save(engine, pid, "anna@example.org", store.Notify(False, True))
    assert saved == {"email": "anna@example.org", "email_verified": False,
                     "notify": {"answer": False, "reminder": True}}
    [event] = await verification_events(engine)
    assert "anna@example.org" not in json.dumps(event)  # the address does not travel
    token = event["token"]
    async with engine.connect() as conn:
        [row] = (await conn.execute(select(contact_verifications))).all()
        assert row.token_hash == tokens.token_hash(token) and token not in str(tuple(row))
        assert row.expires_at == NOW + timedelta(hours=24)
        assert await store.pending_address(conn, row.verification_id, NOW) == "anna@example.org"
        assert (await conn.execute(select(tables.patients.c.email_verified_at))).scalar() is None

    assert await verify(engine, pid, "nonsense-token-" * 3) == "invalid_token"
    assert await verify(engine, pid, token) == "ok"
    assert await verify(engine, pid, token) == "token_used"
    async with engine.connect() as conn:
        assert (await store.settings(conn, pid))["email_verified"] is True
        assert await store.pending_address(conn, row.verification_id, NOW) is None

    # Saving the same address again keeps it verified and sends no new link.
    assert (await save(engine, pid, "ANNA@example.org"))["email_verified"] is True
    assert len(await verification_events(engine)) == 1


async def test_expired_and_superseded_tokens_are_refused_and_change_nothing(patient):
    engine, pid = patient
    await save(engine, pid, "first@example.org")
    await save(engine, pid, "second@example.org", now=NOW + timedelta(minutes=1))
    first, second = [e["token"] for e in await verification_events(engine)]
    assert await verify(engine, pid, first) == "token_superseded"
    assert await verify(engine, pid, second, now=NOW + timedelta(hours=25)) == "token_expired"
    async with engine.connect() as conn:
        used = (await conn.execute(select(func.count()).select_from(contact_verifications)
                                   .where(contact_verifications.c.used_at.is_not(None))))
        assert used.scalar() == 0
        assert (await store.settings(conn, pid))["email_verified"] is False
    # Removing the address supersedes every open token.
    assert (await save(engine, pid, None))["email"] is None
    assert await verify(engine, pid, second) == "token_superseded"
    assert len(await verification_events(engine)) == 2


async def test_every_saved_change_announces_itself_by_patient_id_only(patient):
    engine, pid = patient
    await save(engine, pid, "anna@example.org", store.Notify(False, True))
    await save(engine, pid, "anna@example.org", store.Notify(True, True))
    async with engine.connect() as conn:
        rows = (await conn.execute(select(tables.outbox.c.payload).where(
            tables.outbox.c.event_type == "identity.contact_settings_changed.v1"))).all()
    assert [json.loads(r.payload)["data"] for r in rows] == [{"patient_id": str(pid)}] * 2
