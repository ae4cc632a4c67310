"""Patient accounts on a real PostgreSQL (identity's schema in a private schema of the
scratch database): register import, activation letters, activation, password login,
lockout and throttling, accounts made at a first e-ID login, and the events each step emits
through the outbox."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.identity import tables
from services.identity.lockout import ClientThrottled, Guard, Policy, purge
from services.identity.migrations import MIGRATIONS
from services.identity.passwords import Hasher
from services.identity.patients import register
from services.identity.patients.accounts import PatientAccounts
from services.identity.patients.activation import Activation, ActivationFailed, PasswordRejected
from services.identity.patients.login import LoginFailed, PatientAuth
from services.identity.patients.personnummer import parse
from services.identity.patients.print_queue import IllegalMove, PrintQueue
from services.identity.patients.tables import activation_codes, login_throttle, population_register
from services.identity.seed import SEED_DIR
from shared.crypto.keyring import KeyWrapper
from shared.events import Source
from shared.outbox import Outbox

pytestmark = pytest.mark.integration

POPULATION = register.load_file(SEED_DIR / "population_stockholm.csv")
BREVIA, HEMLIS, ADRESSLOS = parse("19640512-9120"), parse("19851030-9035"), parse("20010228-9287")
GOOD = "Blå hallon i december"
FAST = Hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
async def engine(fresh_schema):
    engine = await fresh_schema("patients")
    await MIGRATIONS.upgrade(engine)
    async with engine.begin() as conn:
        await register.import_entries(conn, POPULATION)
    return engine


def make(engine, client_free: int = 100) -> Activation:
    auth = PatientAuth(engine, FAST, Guard(client=Policy(
        free_failures=client_free, first_delay=timedelta(seconds=60),
        max_block=timedelta(minutes=15), forget_after=timedelta(minutes=15))))
    return Activation(auth=auth, queue=PrintQueue(KeyWrapper(b"k" * 32), "Skatteverket, Box 1"),
                      accounts=accounts(), login_url="https://e.example/")


def accounts() -> PatientAccounts:
    return PatientAccounts(outbox=Outbox(tables.outbox, channel="it_patients"),
                           source=Source(service="identity", region="stockholm"))


async def events(engine) -> list[tuple[str, dict]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(tables.outbox.c.event_type, tables.outbox.c.payload)
                                   .order_by(tables.outbox.c.id))).all()
    return [(r.event_type, json.loads(r.payload)["data"]) for r in rows]


async def the_letter(engine, act: Activation) -> tuple[dict, str]:
    """The newest queued letter and its text."""
    async with engine.connect() as conn:
        letter = (await act.queue.letters(conn, "queued"))[-1]
        pdf = await act.queue.pdf(conn, uuid.UUID(letter["letter_id"]))
    assert pdf is not None and pdf.startswith(b"%PDF")
    return letter, "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def code_in(letter_text: str) -> str:
    lines = letter_text.splitlines()
    return lines[lines.index("Aktiveringskod:") + 1]


async def test_import_is_an_idempotent_upsert(engine) -> None:
    async with engine.begin() as conn:
        again = await register.import_entries(conn, POPULATION)
        moved = POPULATION[0].model_copy(update={"street": "Nya gatan 1"})
        changed = await register.import_entries(conn, [moved])
        assert (await register.lookup(conn, POPULATION[0].personnummer)).street == "Nya gatan 1"
    assert (again.added, again.updated, again.unchanged) == (0, 0, len(POPULATION))
    assert (changed.added, changed.updated) == (0, 1)


async def test_the_table_refuses_an_address_for_protected_identity(engine) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(population_register.update().where(
                population_register.c.personnummer == HEMLIS.value).values(street="X"))


async def test_letter_activation_and_password_login(engine) -> None:
    act = make(engine)
    assert await act.request_letter(BREVIA) == "queued"
    letter, letter_text = await the_letter(engine, act)
    assert letter["routing"] == "home_address" and letter["outer_envelope"] is None
    assert "Brevia Aktivsson" in letter_text and "Brevlådevägen 9" in letter_text
    code = code_in(letter_text)

    with pytest.raises(PasswordRejected) as weak:
        await act.activate(BREVIA, code, "lösenord")
    assert {p.code for p in weak.value.problems} == {"too_short", "one_character_class", "common"}
    with pytest.raises(PasswordRejected) as personal:
        await act.activate(BREVIA, code.lower(), "Brevia-älskar-sol")  # the code was right
    assert [p.code for p in personal.value.problems] == ["contains_name"]
    with pytest.raises(ActivationFailed):
        await act.activate(BREVIA, "ABCD-EFGH-JKLM", GOOD)
    who = await act.activate(BREVIA, code, GOOD)
    assert who.kind == "patient" and who.loa == 2
    with pytest.raises(ActivationFailed):  # one time only
        await act.activate(BREVIA, code, GOOD)

    assert (await act.auth.verify_password("640512-9120", GOOD)).subject == who.subject
    with pytest.raises(LoginFailed):
        await act.auth.verify_password(BREVIA.value, GOOD + "!")
    assert [e for e, _ in await events(engine)] == ["identity.patient_registered.v1",
                                                    "identity.patient_activated.v1"]
    assert all(d == {"patient_id": who.subject} | ({"activated_at": d["activated_at"]}
                                                   if "activated_at" in d else {})
               for _, d in await events(engine))  # pseudonymous ids only


async def test_protected_identity_letter_goes_via_skatteverket(engine) -> None:
    act = make(engine)
    assert await act.request_letter(HEMLIS) == "queued"
    letter, letter_text = await the_letter(engine, act)
    assert letter["routing"] == "skatteverket_forwarding"
    assert letter["outer_envelope"] == "Skatteverket, Box 1"
    assert "Hemlis Skyddadsson" in letter_text and "Förmedlas av Skatteverket" in letter_text
    assert "Hemliga" not in letter_text and "999 99" not in letter_text


async def test_requests_that_make_no_letter(engine) -> None:
    act = make(engine)
    assert await act.request_letter(parse("19121212-1212")) == "queued"  # seed-less: new patient
    assert await act.request_letter(parse("19000101-0008")) == "not_in_register"
    assert await act.request_letter(ADRESSLOS) == "no_address"
    for _ in range(2):
        assert await act.request_letter(BREVIA) == "queued"
    assert await act.request_letter(BREVIA) == "queued"
    assert await act.request_letter(BREVIA) == "letter_limit"  # three a month
    async with engine.connect() as conn:
        states = sorted(r["state"] for r in await act.queue.letters(conn, None))
        live_codes = (await conn.execute(select(activation_codes.c.code_id).where(
            activation_codes.c.revoked_at.is_(None)))).all()
    assert states == ["queued", "queued", "withdrawn", "withdrawn"]  # newer letters replace
    assert len(live_codes) == 2  # one for Tolvan, the newest for Brevia
    assert [e for e, _ in await events(engine)].count("identity.patient_registered.v1") == 2


async def test_print_queue_moves(engine) -> None:
    act = make(engine)
    await act.request_letter(BREVIA)
    letter, _ = await the_letter(engine, act)
    letter_id = uuid.UUID(letter["letter_id"])
    async with engine.begin() as conn:
        with pytest.raises(IllegalMove):
            await act.queue.move(conn, letter_id, "posted")
        assert await act.queue.move(conn, letter_id, "printing")
        assert await act.queue.move(conn, letter_id, "posted")
        assert await act.queue.pdf(conn, letter_id) is None  # the code leaves with the letter
        assert not await act.queue.move(conn, uuid.uuid4(), "printing")


async def activated(engine, act: Activation) -> str:
    await act.request_letter(BREVIA)
    _, letter_text = await the_letter(engine, act)
    return (await act.activate(BREVIA, code_in(letter_text), GOOD)).subject


async def unblock(engine) -> None:
    """Time passes: every delay and lock is over."""
    async with engine.begin() as conn:
        await conn.execute(login_throttle.update().values(blocked_until=None))


async def test_five_failures_lock_even_the_right_password(engine) -> None:
    act = make(engine)
    await activated(engine, act)
    for attempt in range(5):
        with pytest.raises(LoginFailed):
            await act.auth.verify_password(BREVIA.value, f"wrong-{attempt}", client_ip="192.0.2.1")
        if attempt < 4:
            await unblock(engine)  # waits out the delays after the 3rd and 4th
    with pytest.raises(LoginFailed):
        await act.auth.verify_password(BREVIA.value, GOOD, client_ip="192.0.2.1")
    await unblock(engine)
    assert (await act.auth.verify_password(BREVIA.value, GOOD)).loa == 2
    async with engine.connect() as conn:
        rows = (await conn.execute(select(login_throttle))).all()
    assert any(r.failures == 0 and r.throttle_key.startswith("account:") for r in rows)
    assert all(BREVIA.value not in r.throttle_key for r in rows)


async def test_unknown_numbers_lock_the_same_way(engine) -> None:
    act = make(engine)
    unknown = parse("19000101-0008")
    for _ in range(5):
        with pytest.raises(LoginFailed):
            await act.auth.verify_password(unknown.value, GOOD)
        await unblock(engine)
    async with engine.connect() as conn:
        states = {r.failures for r in (await conn.execute(select(login_throttle))).all()}
    assert states == {5}


async def test_parallel_guesses_cannot_pass_the_limit(engine) -> None:
    act = make(engine)
    await activated(engine, act)
    results = await asyncio.gather(*(act.auth.verify_password(BREVIA.value, f"guess-{i}")
                                     for i in range(20)), return_exceptions=True)
    assert all(isinstance(r, LoginFailed) for r in results)
    async with engine.connect() as conn:
        counted = (await conn.execute(select(login_throttle.c.failures))).scalars().all()
    assert counted == [3]  # two free, the third starts a delay: the rest were refused unchecked


async def test_an_address_is_throttled_after_its_free_failures(engine) -> None:
    act = make(engine, client_free=3)
    for i in range(3):
        with pytest.raises(LoginFailed):
            await act.auth.verify_password(parse("19000101-0008").value if i % 2 else BREVIA.value,
                                           "wrong", client_ip="198.51.100.7")
        await unblock(engine)
    with pytest.raises(LoginFailed):  # the 4th failure starts the address's delay...
        await act.auth.verify_password(HEMLIS.value, "wrong", client_ip="198.51.100.7")
    with pytest.raises(ClientThrottled) as throttled:  # ...which the next attempt meets
        await act.auth.verify_password(HEMLIS.value, "wrong", client_ip="198.51.100.7")
    assert 0 < throttled.value.retry_after <= 60
    with pytest.raises(LoginFailed):  # other addresses are not affected
        await act.auth.verify_password(HEMLIS.value, "wrong", client_ip="198.51.100.8")


async def test_expired_codes_do_not_activate(engine) -> None:
    act = make(engine)
    await act.request_letter(BREVIA)
    _, letter_text = await the_letter(engine, act)
    async with engine.begin() as conn:
        await conn.execute(activation_codes.update().values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    with pytest.raises(ActivationFailed):
        await act.activate(BREVIA, code_in(letter_text), GOOD)


async def test_purge_forgets_only_what_no_policy_remembers(engine) -> None:
    act = make(engine)
    for number in ("19000101-0008", "19121212-1212"):
        with pytest.raises(LoginFailed):
            await act.auth.verify_password(parse(number).value, "wrong")
    assert await purge(engine) == 0  # fresh failures stay
    async with engine.begin() as conn:
        await conn.execute(login_throttle.update().values(
            last_failure_at=datetime.now(UTC) - timedelta(days=3)))
    assert await purge(engine) == 2


async def test_a_first_e_id_login_makes_an_account_for_people_in_the_register(engine) -> None:
    # Two first logins at once (two tabs): one account, announced once.
    made = await asyncio.gather(*(accounts().for_eid(engine, BREVIA.value) for _ in range(2)))
    assert made[0] is not None and made[0] == made[1]
    assert await events(engine) == [("identity.patient_registered.v1",
                                     {"patient_id": str(made[0])})]
    assert await accounts().for_eid(engine, BREVIA.value) == made[0]  # later logins find it
    # A letter later goes to the same account.
    assert await make(engine).request_letter(BREVIA) == "queued"
    async with engine.connect() as conn:
        ids = (await conn.execute(select(tables.patients.c.patient_id).where(
            tables.patients.c.personnummer == BREVIA.value))).scalars().all()
    assert ids == [made[0]] and len(await events(engine)) == 1


async def test_no_account_for_someone_not_in_the_register(engine) -> None:
    outsider = parse("19310101-9002").value  # valid, and in no register
    assert await accounts().for_eid(engine, outsider) is None
    async with engine.connect() as conn:
        assert (await conn.execute(select(tables.patients.c.patient_id).where(
            tables.patients.c.personnummer == outsider))).first() is None
    assert await events(engine) == []


async def test_listings_are_imported(engine) -> None:
    tolvan = parse("19121212-1212").value
    async with engine.begin() as conn:
        assert (await register.lookup(conn, tolvan)).listed_unit == "SE2321000016-TEST1"
        assert (await register.lookup(conn, BREVIA.value)).listed_unit is None
        again = await register.import_entries(conn, POPULATION)
    assert again.added == 0 and again.updated == 0  # the same file changes nothing
