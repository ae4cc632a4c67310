"""Schema migrations (Alembic, one environment per service): applied one revision at a time
to an empty database they give exactly the tables in the code; and a database of the previous
release (tests/integration/legacy_schemas/*.sql, made by that release's shared.db.migrate,
see README there) is upgraded in place with its rows kept."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from sqlalchemy.exc import DBAPIError

from services.audit import tables as audit
from services.audit import tables_stream as audit_stream
from services.audit.migrations import MIGRATIONS as AUDIT
from services.forms import tables as forms
from services.forms.migrations import MIGRATIONS as FORMS
from services.gateway import tables as gateway
from services.gateway.migrations import MIGRATIONS as GATEWAY
from services.identity import tables as identity
from services.identity.catalogue import tables as catalogue
from services.identity.migrations import MIGRATIONS as IDENTITY
from services.identity.oidc import tables as oidc
from services.identity.patients import tables as patients
from services.messaging.careunit import tables as careunit
from services.messaging.careunit.migrations import MIGRATIONS as CAREUNIT
from services.messaging.patient import tables as patient
from services.messaging.patient.migrations import MIGRATIONS as PATIENT
from services.notifier import tables as notifier
from services.notifier.migrations import MIGRATIONS as NOTIFIER
from shared.migrations import LegacyTooOld, SchemaHistory, _ours

pytestmark = pytest.mark.integration

LEGACY = Path(__file__).parent / "legacy_schemas"
SERVICES: dict[str, tuple[SchemaHistory, list[MetaData]]] = {
    "identity": (IDENTITY, [identity.metadata, patients.metadata, oidc.metadata,
                            catalogue.metadata]),
    "forms": (FORMS, [forms.metadata, forms.access_metadata]),
    "notifier": (NOTIFIER, [notifier.metadata]),
    "audit": (AUDIT, [audit.metadata, audit.access_metadata, audit_stream.metadata]),
    "patient_mailbox": (PATIENT, [patient.metadata]),
    "careunit_mailbox": (CAREUNIT, [careunit.metadata]),
    "gateway": (GATEWAY, [gateway.metadata]),
}
# One row per service, written with the previous release's schema before the upgrade.
ROWS = {
    "identity": (("INSERT INTO care_units (unit_id, name, region, functional_email, services) "
                  "VALUES ('u-1', 'Test', 'stockholm', 'u@example.org', '[]')"), "care_units"),
    "forms": (("INSERT INTO unit_services (unit_id, service_type, audience) "
               "VALUES ('u-1', 'advice', 'all_residents')"), "unit_services"),
    "notifier": (f"INSERT INTO inbox (consumer, event_id) VALUES ('n', '{uuid.uuid4()}')",
                 "inbox"),
    "audit": (("INSERT INTO staff_access (staff_id, units, revoked) "
               "VALUES ('s-1', '{}', false)"), "staff_access"),
    "patient_mailbox": (("INSERT INTO conversations (conversation_id, patient_id, care_unit_id, "
                         "service_type, status, unread_reply, created_at, updated_at, "
                         "promised_answer_days) VALUES ('c-1', 'p-1', 'u-1', 'advice', "
                         "'answered', false, now(), now(), 5)"), "conversations"),
    "careunit_mailbox": (("INSERT INTO unit_messages (message_id, conversation_id, care_unit_id, "
                          "patient_id, service_type, status, submitted_at, received_at, "
                          "sealed_key_id, sealed_ciphertext, due_at) VALUES ('m-1', 'c-1', "
                          "'u-1', 'p-1', 'advice', 'unassigned', now(), now(), 'k-1', "
                          "'\\x00', now())"), "unit_messages"),
    "gateway": (("INSERT INTO sessions (key, created_at, last_seen, sealed) "
                 "VALUES ('k-1', 1, 1, '\\x00')"), "sessions"),
}


def _diffs(conn, metadata: list[MetaData]) -> list:
    context = MigrationContext.configure(conn, opts={"include_object": _ours,
                                                     "compare_server_default": True})
    return compare_metadata(context, metadata)


def _revisions(history: SchemaHistory) -> list[str]:
    script = ScriptDirectory(str(history.directory))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def _load_legacy(engine, service: str) -> None:
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        await raw.execute((LEGACY / f"{service}.sql").read_text())  # several statements
        await raw.commit()


@pytest.mark.parametrize("service", list(SERVICES))
async def test_revisions_one_by_one_give_the_tables_in_the_code(fresh_schema, service):
    history, metadata = SERVICES[service]
    engine = await fresh_schema(f"mig_{service}")
    for revision in _revisions(history):
        await history.upgrade(engine, revision)
    await history.upgrade(engine)  # at head already: nothing to do
    async with engine.connect() as conn:
        assert await conn.run_sync(_diffs, metadata) == []
        head = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    assert head == _revisions(history)[-1]


@pytest.mark.parametrize("service", list(SERVICES))
async def test_the_previous_releases_database_is_upgraded_with_its_rows(fresh_schema, service):
    history, metadata = SERVICES[service]
    engine = await fresh_schema(f"old_{service}")
    await _load_legacy(engine, service)
    insert, table = ROWS[service]
    async with engine.begin() as conn:
        await conn.execute(text(insert))
    await history.upgrade(engine)
    async with engine.connect() as conn:
        assert (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 1
        assert await conn.run_sync(_diffs, metadata) == []
        assert (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar() \
            == _revisions(history)[-1]


async def test_a_database_older_than_the_previous_release_is_refused(fresh_schema):
    engine = await fresh_schema("older")
    await _load_legacy(engine, "audit")
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM schema_migrations WHERE version = 2"))
    with pytest.raises(LegacyTooOld, match="legacy schema version 1"):
        await AUDIT.upgrade(engine)


@pytest.mark.parametrize("service", ["new", "legacy"])
async def test_the_audit_log_stays_append_only(fresh_schema, service):
    # Triggers are no table metadata, so compare_metadata cannot see them: check they work.
    engine = await fresh_schema(f"guard_{service}")
    if service == "legacy":
        await _load_legacy(engine, "audit")
    await AUDIT.upgrade(engine)
    with pytest.raises(DBAPIError, match="only moves forward"):
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE audit_chain_head SET seq = 5"))
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT seq FROM audit_chain_head"))).scalar() == 0
