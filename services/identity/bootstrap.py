"""Composition root of identity: builds the engine, event runtime, signing keys and token
verifier inside the app's lifespan (nothing connects at import time), seeds, and mounts the
routers, among them the OpenID Provider and its login pages (services/identity/oidc)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from services.identity import api, catalogue, tables
from services.identity.api_patients import router as patients_router
from services.identity.catalogue import CatalogueSync
from services.identity.catalogue.watcher import ValidityWatcher
from services.identity.context import IdentityContext
from services.identity.keys import SigningKeys
from services.identity.migrations import MIGRATIONS
from services.identity.oidc import wiring as oidc
from services.identity.seed import SEED_DIR, Seeder, load_seed
from services.identity.settings import IdentitySettings
from services.identity.tokens import LocalTokenVerifier
from shared import web
from shared.db import make_engine
from shared.events import Source
from shared.outbox import Outbox
from shared.runtime import EventRuntime
from shared.staff_access import StaffAccess

log = logging.getLogger(__name__)

SERVICE = "identity"
CLOCK_SKEW = timedelta(seconds=60)


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    settings = settings or IdentitySettings()
    wrapper = settings.key_wrapper()  # fail at start-up, not at the first login
    outbox = Outbox(tables.outbox, channel="identity_outbox")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        # Built here: aiokafka's producer needs the running event loop.
        runtime = EventRuntime(service=SERVICE, engine=engine, migrations=MIGRATIONS,
                               bootstrap=settings.kafka_bootstrap_servers, outbox=outbox,
                               settings=settings)
        app.state.readiness = runtime.readiness
        keys = SigningKeys(wrapper, grace=timedelta(seconds=settings.token_ttl_s) + CLOCK_SKEW)
        ctx = IdentityContext(settings=settings, engine=engine, keys=keys)
        app.state.identity = ctx
        app.state.token_verifier = LocalTokenVerifier(keys, engine, issuer=settings.issuer)
        # Staff are authorized against the catalogue as it is now, not as their token says.
        app.state.staff_access = StaffAccess(engine, catalogue.access_state)
        watcher = ValidityWatcher(engine, CatalogueSync(outbox, Source(
            service=SERVICE, region=settings.region)), settings.catalogue_sweep_interval_s)
        app.state.readiness.append(watcher.alive)
        oidc_db = oidc.start(app, ctx)
        await runtime.start()
        try:
            await prepare(ctx, outbox)
            watcher.start()
            yield
        finally:
            await watcher.stop()
            await runtime.stop()
            oidc_db.dispose()

    app = web.create_app(title="identity", lifespan=lifespan)
    app.include_router(api.well_known)
    app.include_router(api.public)
    app.include_router(api.internal)
    oidc.mount(app, settings)
    app.include_router(patients_router)  # activation letters, print queue
    return app


async def prepare(ctx: IdentityContext, outbox: Outbox) -> None:
    """Start-up work after migrations: a usable signing key, then the seed data."""
    settings = ctx.settings
    async with ctx.engine.begin() as conn:
        await ctx.keys.ensure_active(conn, timedelta(days=settings.signing_key_max_age_days))
    seed_file = settings.effective_seed_file
    if seed_file is None:
        return
    if not (SEED_DIR / seed_file).exists():
        log.warning("no seed file for this region", extra={"reason": seed_file})
        return
    seeder = Seeder(outbox, Source(service=SERVICE, region=settings.region))
    async with ctx.engine.begin() as conn:
        result = await seeder.seed(conn, load_seed(seed_file))
    log.info("seed applied", extra={"count": result.care_units + result.patients + result.staff})
    await oidc.seed_staff_credentials(ctx, seed_file)
