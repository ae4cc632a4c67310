"""The OpenID Provider's parts, for identity's composition root (bootstrap.py): its routers,
the Door the routes depend on (authlib server, e-ID providers) built from dependencies that
bootstrap makes once, and the dev staff credentials written at start-up."""

from __future__ import annotations

from datetime import timedelta

from authlib.oauth2.rfc6749.errors import InsecureTransportError
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from services.identity.eid import EidProvider
from services.identity.eid import test_provider as test_eid
from services.identity.eid.oidc_broker import OidcBroker
from services.identity.hash_budget import HashBudget
from services.identity.oidc import assets, frontdoor, language, routes
from services.identity.oidc.clients import registered_clients
from services.identity.oidc.server import Provider
from services.identity.oidc.staff_login import (
    DevSecrets,
    credentials_file,
    load_dev_credentials,
    seed_credentials,
)
from services.identity.oidc.staff_throttle import StaffThrottle
from services.identity.oidc.web import Door, origin
from services.identity.seed import SEED_DIR
from services.identity.settings import IdentitySettings
from services.identity.signing.keys import SigningKeys
from shared.crypto.keyring import KeyWrapper


def mount(app: FastAPI, settings: IdentitySettings) -> None:
    app.include_router(frontdoor.router)
    app.include_router(language.router)
    assets.mount(app, settings)
    app.include_router(routes.router)
    if settings.test_eid_active:
        app.include_router(test_eid.router)
    app.add_exception_handler(InsecureTransportError, _insecure_transport)


async def _insecure_transport(request: Request, exc: Exception) -> Response:
    # authlib refuses OAuth over plain HTTP (but loopback) outside development: say so.
    return JSONResponse({"error": "insecure_transport",
                         "error_description": "OAuth needs TLS: use https"}, 400)


def build_door(settings: IdentitySettings, engine: AsyncEngine, db: Engine, keys: SigningKeys,
               wrapper: KeyWrapper, budget: HashBudget, throttle: StaffThrottle) -> Door:
    """The provider and its login front door; `db` is the synchronous engine authlib needs."""
    clients = registered_clients(settings)
    provider = Provider(settings=settings, db=db, signing_keys=keys, clients=clients)
    eid = _eid_providers(settings, db)
    targets = {"'self'"} | {origin(uri) for c in clients.values() for uri in c.redirect_uris}
    if settings.eid_broker_issuer:
        targets.add(origin(settings.eid_broker_issuer))
    return Door(provider=provider, settings=settings, engine=engine, wrapper=wrapper, eid=eid,
                form_action=" ".join(sorted(targets)),
                dev_staff_default=_dev_staff_default(settings), hash_budget=budget,
                staff_throttle=throttle, log_logins=True)


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
            acr=settings.eid_broker_acr,
            return_url=f"{settings.browser_url}/login/eid/return/broker")
    if settings.test_eid_active:
        providers[test_eid.NAME] = test_eid.TestEid(
            db, settings.browser_url, timedelta(seconds=settings.login_request_ttl_s))
    return providers


async def seed_staff_credentials(engine: AsyncEngine, wrapper: KeyWrapper,
                                 seed_file: str) -> int:
    """Development credentials for seeded staff (the file next to the seed), if there is one."""
    path = credentials_file(SEED_DIR, seed_file)
    if not path.exists():
        return 0
    data = load_dev_credentials(path)
    async with engine.begin() as conn:
        return await conn.run_sync(seed_credentials, wrapper, data)
