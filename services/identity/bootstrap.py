"""identity's one composition root. `create_app` builds every dependency once, inside the
app's lifespan (nothing connects at import time): the async and the synchronous (authlib)
engine, the event runtime and its outbox, the key wrapper, signing keys and token verifier,
the patient parts, the OpenID Provider's Door; then runs start-up work (migrations, a
signing key, seed data, the population register) and mounts the routers of each
subdomain (patients/, catalogue/, oidc/, eid/, signing/).

The CLIs (`python -m services.identity.catalogue`, `python -m
services.identity.patients.register`) are their own small entry points and reuse `outbox()`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta

from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import create_engine

from services.identity import api, catalogue, devsecrets, directory_api, handlers, seed, tables
from services.identity.catalogue import CatalogueSync
from services.identity.catalogue.watcher import ValidityWatcher
from services.identity.contact import api as contact_api
from services.identity.context import IdentityContext
from services.identity.hash_budget import HashBudget, HashingBusy, busy_response
from services.identity.lockout import CLIENT, Guard, purge
from services.identity.migrations import MIGRATIONS
from services.identity.oidc import wiring as oidc
from services.identity.oidc.staff_throttle import PAIR, StaffThrottle
from services.identity.passwords import Hasher
from services.identity.patients import api as patients_api
from services.identity.patients.accounts import PatientAccounts
from services.identity.patients.activation import Activation
from services.identity.patients.login import PatientAuth
from services.identity.patients.print_queue import PrintQueue
from services.identity.settings import IdentitySettings
from services.identity.signing.keys import SigningKeys
from services.identity.signing.tokens import LocalTokenVerifier
from shared import web
from shared.auth import InternalCallers
from shared.crypto.keyring import KeyWrapper
from shared.db import make_engine
from shared.events import Source
from shared.outbox import Outbox
from shared.runtime import EventRuntime
from shared.staff_access import StaffAccess

log = logging.getLogger(__name__)

SERVICE = "identity"
CLOCK_SKEW = timedelta(seconds=60)


def outbox() -> Outbox:
    """identity's one outbox (one table, one relay channel)."""
    return Outbox(tables.outbox, channel="identity_outbox")


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    settings = settings or IdentitySettings()
    wrapper = settings.key_wrapper()  # fail at start-up, not at the first login
    if settings.environment == "production":  # whatever files are configured
        devsecrets.check_files(settings.effective_seed_file, seed.SEED_DIR)
    hasher = PasswordHasher()  # argon2id, RFC 9106's parameters (64 MiB a hash)
    budget = HashBudget(settings.password_hash_memory_budget_mib * 1024, hasher.memory_cost,
                        settings.password_hash_wait_s)
    events = outbox()
    source = Source(service=SERVICE, region=settings.region)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        # authlib is synchronous: its storage callbacks run in the thread pool on this engine.
        sync_db = create_engine(settings.database_url, pool_size=5, max_overflow=10,
                                pool_pre_ping=True)
        # Built here: aiokafka's producer needs the running event loop.
        runtime = EventRuntime(service=SERVICE, engine=engine, migrations=MIGRATIONS,
                               bootstrap=settings.kafka_bootstrap_servers, outbox=events,
                               inbox=tables.inbox, settings=settings)
        runtime.consume(handlers.CONSUMER, handlers.TOPICS, handlers.build_handlers(),
                        ignore=handlers.NOT_INTERESTED)
        app.state.readiness = runtime.readiness
        keys = SigningKeys(wrapper, grace=timedelta(seconds=settings.token_ttl_s) + CLOCK_SKEW)
        ctx = IdentityContext(settings=settings, engine=engine, keys=keys)
        app.state.identity = ctx
        app.state.token_verifier = LocalTokenVerifier(keys, engine, issuer=settings.issuer)
        # Staff are authorized against the catalogue as it is now, not as their token says.
        app.state.staff_access = StaffAccess(engine, catalogue.access_state)
        _patient_parts(app, ctx, wrapper, PatientAccounts(outbox=events, source=source),
                       Hasher(hasher, budget))
        app.state.door = oidc.build_door(settings, engine, sync_db, keys, wrapper, budget,
                                         _staff_throttle(settings))
        watcher = ValidityWatcher(engine, CatalogueSync(events, source),
                                  settings.catalogue_sweep_interval_s)
        app.state.readiness.append(watcher.alive)
        await runtime.start()
        try:
            await prepare(ctx, events, wrapper)
            watcher.start()
            yield
        finally:
            await watcher.stop()
            await runtime.stop()
            sync_db.dispose()

    app = web.create_app(title="identity", lifespan=lifespan)
    app.include_router(api.well_known)
    app.include_router(api.public)
    app.include_router(api.internal)
    app.include_router(directory_api.public)
    app.include_router(directory_api.internal)
    app.include_router(contact_api.router)
    app.include_router(contact_api.internal)
    oidc.mount(app, settings)
    app.add_exception_handler(HashingBusy, busy_response)
    app.include_router(patients_api.router)  # letters, activation, print queue
    app.state.internal_callers = InternalCallers.from_settings(settings)
    return app


def _staff_throttle(settings: IdentitySettings) -> StaffThrottle:
    return StaffThrottle(capacity=settings.staff_login_burst,
                         refill_per_s=settings.staff_login_refill_per_s,
                         pair=replace(PAIR, lock_after=settings.staff_login_pair_lock_after),
                         max_entries=settings.staff_login_table_max_entries)


def _patient_parts(app: FastAPI, ctx: IdentityContext, wrapper: KeyWrapper,
                   accounts: PatientAccounts, hasher: Hasher) -> None:
    settings = ctx.settings
    auth = PatientAuth(ctx.engine, hasher, Guard(client=replace(
        CLIENT, free_failures=settings.patient_login_client_free_failures)))
    app.state.patient_auth = auth
    # Also the login front door's: a first e-ID login makes the account (oidc/login_checks.py).
    app.state.patient_accounts = accounts
    app.state.patient_activation = Activation(
        auth=auth, queue=PrintQueue(wrapper, settings.letter_forwarding_address),
        accounts=accounts, login_url=settings.letter_login_url,
        code_ttl=timedelta(days=settings.activation_code_ttl_days))


async def prepare(ctx: IdentityContext, events: Outbox, wrapper: KeyWrapper) -> None:
    """Start-up work after migrations: a usable signing key, the seed data and its dev staff
    credentials, the population register file; then old throttle rows go."""
    settings = ctx.settings
    if settings.environment == "production":
        async with ctx.engine.connect() as conn:
            await conn.run_sync(devsecrets.check_stored, wrapper)
    async with ctx.engine.begin() as conn:
        await ctx.keys.ensure_active(conn, timedelta(days=settings.signing_key_max_age_days))
    seed_file = settings.effective_seed_file
    if seed_file is not None and (seed.SEED_DIR / seed_file).exists():
        seeder = seed.Seeder(events, Source(service=SERVICE, region=settings.region))
        async with ctx.engine.begin() as conn:
            result = await seeder.seed(conn, seed.load_seed(seed_file))
        log.info("seed applied",
                 extra={"count": result.care_units + result.patients + result.staff})
        await oidc.seed_staff_credentials(ctx.engine, wrapper, seed_file)
    elif seed_file is not None:
        log.warning("no seed file for this region", extra={"reason": seed_file})
    await seed.import_population_register(ctx.engine, settings)
    await purge(ctx.engine)  # at each start; throttle rows are short-lived by design
