"""How bootstrap mounts and builds the OpenID Provider: its routers, then (in the lifespan)
its own synchronous engine on the same DATABASE_URL, the authlib server, the e-ID
providers and the Door the routes depend on; at start-up, dev staff credentials."""

from __future__ import annotations

from datetime import timedelta

from authlib.oauth2.rfc6749.errors import InsecureTransportError
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, create_engine

from services.identity.context import IdentityContext
from services.identity.eid import EidProvider
from services.identity.eid import test_provider as test_eid
from services.identity.eid.oidc_broker import OidcBroker
from services.identity.oidc import frontdoor, routes
from services.identity.oidc.clients import registered_clients
from services.identity.oidc.server import Provider
from services.identity.oidc.web import Door, origin
from services.identity.seed import SEED_DIR
from services.identity.settings import IdentitySettings
from services.identity.staff_login import (
    DevSecrets,
    credentials_file,
    load_dev_credentials,
    seed_credentials,
)


def mount(app: FastAPI, settings: IdentitySettings) -> None:
    app.include_router(frontdoor.router)
    app.include_router(routes.router)
    if settings.test_eid_active:
        app.include_router(test_eid.router)
    app.add_exception_handler(InsecureTransportError, _insecure_transport)


async def _insecure_transport(request: Request, exc: Exception) -> Response:
    # authlib refuses OAuth over plain HTTP (but loopback) outside development: say so.
    return JSONResponse({"error": "insecure_transport",
                         "error_description": "OAuth needs TLS: use https"}, 400)


def start(app: FastAPI, ctx: IdentityContext) -> Engine:
    """Builds the provider into app.state.door; returns the sync engine to dispose of."""
    settings = ctx.settings
    # authlib is synchronous: its storage callbacks run in the thread pool on this engine.
    db = create_engine(settings.database_url, pool_size=5, max_overflow=10, pool_pre_ping=True)
    clients = registered_clients(settings)
    provider = Provider(settings=settings, db=db, signing_keys=ctx.keys, clients=clients)
    eid = _eid_providers(settings, db)
    targets = {"'self'"} | {origin(uri) for c in clients.values() for uri in c.redirect_uris}
    if settings.eid_broker_issuer:
        targets.add(origin(settings.eid_broker_issuer))
    app.state.door = Door(provider=provider, settings=settings, engine=ctx.engine,
                          wrapper=settings.key_wrapper(), eid=eid,
                          form_action=" ".join(sorted(targets)),
                          dev_staff_default=_dev_staff_default(settings))
    return db


def _dev_staff_default(settings: IdentitySettings) -> DevSecrets | None:
    seed_file = settings.effective_seed_file
    path = credentials_file(SEED_DIR, seed_file) if seed_file else None
    return load_dev_credentials(path).default if path and path.exists() else None


def _eid_providers(settings: IdentitySettings, db: Engine) -> dict[str, EidProvider]:
    providers: dict[str, EidProvider] = {}
    if settings.eid_broker_issuer:
        providers["broker"] = OidcBroker(
            issuer=settings.eid_broker_issuer, client_id=settings.eid_broker_client_id,
            client_secret=settings.eid_broker_client_secret.get_secret_value(),
            scope=settings.eid_broker_scope,
            personnummer_claim=settings.eid_broker_personnummer_claim,
            return_url=f"{settings.browser_url}/login/eid/return/broker")
    if settings.test_eid_active:
        providers[test_eid.NAME] = test_eid.TestEid(
            db, settings.browser_url, timedelta(seconds=settings.login_request_ttl_s))
    return providers


async def seed_staff_credentials(ctx: IdentityContext, seed_file: str) -> int:
    """Development credentials for seeded staff (the file next to the seed), if there is one."""
    path = credentials_file(SEED_DIR, seed_file)
    if not path.exists():
        return 0
    data, wrapper = load_dev_credentials(path), ctx.settings.key_wrapper()
    async with ctx.engine.begin() as conn:
        return await conn.run_sync(seed_credentials, wrapper, data)
