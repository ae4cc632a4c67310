"""The staff catalogue applied to a real PostgreSQL (identity's schema in a private schema
of the scratch database): registration, membership changes, removal, validity dates,
reinstatement, the events each emits through the outbox, and refusal of bad imports."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from services.identity import tables
from services.identity.catalogue import (
    Catalogue,
    CatalogueError,
    CatalogueSync,
    access_state,
    read_catalogue,
)
from services.identity.catalogue.model import CatalogueMembership, CatalogueStaff
from services.identity.migrations import MIGRATIONS
from services.identity.oidc.tables import sessions as oidc_sessions
from services.identity.seed import SEED_DIR
from shared.events import Source
from shared.outbox import Outbox

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
STOCKHOLM = read_catalogue(SEED_DIR / "stockholm.json")


@pytest.fixture
async def engine(fresh_schema):
    return await fresh_schema("catalogue")


@pytest.fixture
def sync() -> CatalogueSync:
    return CatalogueSync(Outbox(tables.outbox, channel="it_catalogue"),
                         Source(service="identity", region="stockholm"))


async def apply(engine, sync, catalogue: Catalogue, *, full: bool, now: datetime = NOW):
    async with engine.begin() as conn:
        return await sync.apply(conn, catalogue, full=full, now=now)


async def events(engine) -> list[tuple[str, dict]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(tables.outbox.c.event_type, tables.outbox.c.payload)
                                   .order_by(tables.outbox.c.id))).all()
    return [(r.event_type.rsplit(".v", 1)[0], json.loads(r.payload)["data"]) for r in rows]


async def staff_id(engine, hsa_id: str) -> str:
    async with engine.connect() as conn:
        return str((await conn.execute(select(tables.staff.c.staff_id).where(
            tables.staff.c.hsa_id == hsa_id))).scalar_one())


def without(catalogue: Catalogue, hsa_id: str) -> Catalogue:
    return Catalogue(care_units=catalogue.care_units,
                     staff=[s for s in catalogue.staff if s.hsa_id != hsa_id])


def person(hsa_id: str, **changes) -> CatalogueStaff:
    found = next(s for s in STOCKHOLM.staff if s.hsa_id == hsa_id)
    return found.model_copy(update=changes)


def membership(unit: str, *roles: str, **dates):
    return CatalogueMembership(unit_id=unit, roles=list(roles), **dates)


S002, S003 = "SE2321000016-S002", "SE2321000016-S003"
TEST1, TEST2 = "SE2321000016-TEST1", "SE2321000016-TEST2"


async def test_a_full_import_registers_once_and_then_only_announces_changes(engine, sync):
    await MIGRATIONS.upgrade(engine)
    report = await apply(engine, sync, STOCKHOLM, full=True)
    assert report["units"] == 3 and report["registered"] == len(STOCKHOLM.staff)
    first = await events(engine)
    assert [t for t, _ in first].count("identity.staff_registered") == len(STOCKHOLM.staff)
    assert all("hsa_id" not in data and "given_name" not in data for _, data in first)

    assert (await apply(engine, sync, STOCKHOLM, full=True))["unchanged"] == len(STOCKHOLM.staff)
    assert await events(engine) == first  # nothing new to say

    # Removed from the file: revoked, with no memberships left and its tokens' cut-off set.
    report = await apply(engine, sync, without(STOCKHOLM, S002), full=True)
    assert report["revoked"] == 1 and report["unchanged"] == len(STOCKHOLM.staff) - 1
    kind, data = (await events(engine))[-1]
    sid = await staff_id(engine, S002)
    assert kind == "identity.staff_revoked" and data["staff_id"] == sid
    assert data["reason"] == "removed"
    async with engine.connect() as conn:
        state = await access_state(conn, sid)
    assert state is not None and state.revoked and state.units == {}
    assert state.not_before == NOW

    # Back in the file: reinstated (a change), but tokens from before stay refused.
    later = NOW + timedelta(hours=1)
    assert (await apply(engine, sync, STOCKHOLM, full=True, now=later))["changed"] == 1
    kind, data = (await events(engine))[-1]
    assert kind == "identity.staff_membership_changed"
    assert data["memberships"] == [{"unit_id": TEST1, "roles": ["clinician"]}]
    async with engine.connect() as conn:
        state = await access_state(conn, sid)
    assert state is not None and not state.revoked and state.not_before == NOW


async def test_merge_changes_memberships_and_leaves_others_alone(engine, sync):
    await MIGRATIONS.upgrade(engine)
    await apply(engine, sync, STOCKHOLM, full=True)
    moved = person(S003, memberships=[membership(TEST1, "clinician"),
                                      membership(TEST2, "clinician", "message_administrator")])
    report = await apply(engine, sync, Catalogue(staff=[moved]), full=False)
    assert report["changed"] == 1 and report["revoked"] == 0
    kind, data = (await events(engine))[-1]
    assert kind == "identity.staff_membership_changed"
    assert data["memberships"] == [
        {"unit_id": TEST1, "roles": ["clinician"]},
        {"unit_id": TEST2, "roles": ["clinician", "message_administrator"]}]
    async with engine.connect() as conn:
        state = await access_state(conn, await staff_id(engine, S003))
    assert state is not None and state.units[TEST2] == ["clinician", "message_administrator"]


async def test_validity_dates_take_effect_on_import_and_on_the_sweep(engine, sync):
    await MIGRATIONS.upgrade(engine)
    await apply(engine, sync, STOCKHOLM, full=True)
    ends_today = person(S002, valid_to=date(2026, 3, 1))
    starts_soon = CatalogueStaff(
        hsa_id="SE2321000016-N001", given_name="Ny", family_name="Anställd",
        profession="nurse", valid_from=date(2026, 3, 2),
        memberships=[membership(TEST1, "clinician"),
                     membership(TEST2, "clinician", valid_to=date(2026, 3, 1))])
    report = await apply(engine, sync, Catalogue(staff=[ends_today, starts_soon]), full=False)
    assert report["unchanged"] == 2  # valid today / not yet started: nothing to announce

    async with engine.begin() as conn:
        swept = await sync.sweep(conn, now=NOW + timedelta(days=1))
    assert swept == {"revoked": 1, "registered": 1}
    kinds = {data["staff_id"]: (kind, data) for kind, data in (await events(engine))[-2:]}
    kind, data = kinds[await staff_id(engine, S002)]
    assert kind == "identity.staff_revoked" and data["reason"] == "expired"
    kind, data = kinds[await staff_id(engine, "SE2321000016-N001")]
    assert kind == "identity.staff_registered"
    assert data["memberships"] == [{"unit_id": TEST1, "roles": ["clinician"]}]

    async with engine.begin() as conn:
        assert await sync.sweep(conn, now=NOW + timedelta(days=1)) == {}


@pytest.mark.parametrize(("catalogue", "complaint"), [
    (Catalogue(staff=[person(S002, memberships=[membership("SE2321000016-NOPE", "clinician")])]),
     "unknown care units"),
    (read_catalogue(SEED_DIR / "vastra-gotaland.ldif"), "another region"),
])
async def test_a_bad_import_changes_nothing(engine, sync, catalogue, complaint):
    await MIGRATIONS.upgrade(engine)
    await apply(engine, sync, STOCKHOLM, full=True)
    before = await events(engine)
    with pytest.raises(CatalogueError, match=complaint):
        await apply(engine, sync, catalogue, full=True)
    assert await events(engine) == before
    async with engine.connect() as conn:
        state = await access_state(conn, await staff_id(engine, S002))
    assert state is not None and not state.revoked


async def test_revocation_ends_the_persons_provider_sessions(engine, sync):
    await MIGRATIONS.upgrade(engine)
    await apply(engine, sync, STOCKHOLM, full=True)
    sid = await staff_id(engine, S002)
    async with engine.begin() as conn:  # the OpenID Provider's sessions of two people
        now = datetime.now(UTC)
        await conn.execute(oidc_sessions.insert(), [
            {"sid": sid_, "client_id": "gateway", "subject": str(subject), "kind": "staff",
             "loa": 3, "amr": ["pwd", "otp"], "auth_time": now,
             "expires_at": now + timedelta(hours=1)}
            for sid_, subject in (("a", sid), ("b", uuid.uuid4()))])
    await apply(engine, sync, without(STOCKHOLM, S002), full=True)
    async with engine.connect() as conn:
        rows = dict((await conn.execute(text(
            "SELECT sid, revoked_reason FROM oidc_sessions"))).tuples().all())
    assert rows == {"a": "staff_revoked", "b": None}
