"""The gateway as OIDC client against the real provider (identity's OIDC app on SQLite,
reached in-process): login, callback, session cookie, tokens attached per audience, CSRF on
changes, logout that revokes at identity, and explicit Authorization passed through."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.gateway.bootstrap import create_app
from services.gateway.settings import GatewaySettings
from services.identity.oidc.discovery import oidc_metadata
from services.identity.oidc.tables import sessions
from tests.htmlforms import form
from tests.unit.identity.oidc_support import (
    GATEWAY_SECRET,
    ISSUER,
    World,
    client,
    next_totp,
    world,
)

SETTINGS = GatewaySettings(environment="test", identity_url=ISSUER,
                           public_url="http://127.0.0.1:8000", client_secret=GATEWAY_SECRET,
                           careunit_mailbox_url="http://careunit.test")


class Upstreams(httpx.AsyncBaseTransport):
    """identity's OIDC app in-process (plus discovery and JWKS); other services echo."""

    def __init__(self, w: World) -> None:
        self.w, self.identity = w, httpx.ASGITransport(app=w.app)
        self.seen: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.url.host != "127.0.0.1":
            self.seen.append(request)
            return httpx.Response(200, json={"authorization": request.headers.get("authorization")})
        if path == "/.well-known/openid-configuration":
            return httpx.Response(200, json={"issuer": ISSUER,
                                             "jwks_uri": f"{ISSUER}/.well-known/jwks.json",
                                             **oidc_metadata(ISSUER, ISSUER)})
        if path == "/.well-known/jwks.json":
            return httpx.Response(200, json=self.w.door.provider.jwks())
        if path == "/healthz":
            return httpx.Response(200, json={})
        return await self.identity.handle_async_request(request)


@pytest.fixture
def w() -> World:
    return world()


@pytest.fixture
def upstreams(w: World) -> Upstreams:
    return Upstreams(w)


@pytest.fixture
def gateway(upstreams: Upstreams):
    with TestClient(create_app(SETTINGS, transport=upstreams),
                    base_url="http://127.0.0.1:8000", follow_redirects=False) as c:
        yield c


def log_in(w: World, gateway: TestClient, next_path: str | None = None) -> httpx.Response:
    start = gateway.get("/login", params={"next": next_path} if next_path else None)
    assert start.status_code == 302, start.text
    browser = client(w)  # the browser on identity's pages
    page = browser.get(start.headers["location"])
    staff = form(page.text, "/login/staff")
    back = browser.post("/login/staff", data={**staff.fields, "hsa_id": "HSA-1",
                                              "password": "unit-test-password",
                                              "otp": next_totp(browser)})
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["location"])
    return gateway.get(f"{callback.path}?{callback.query}")


def test_login_request_is_code_flow_with_pkce_and_nonce(gateway) -> None:
    start = gateway.get("/login")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["response_type"] == ["code"] and query["client_id"] == ["gateway"]
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/callback"]
    assert "httponly" in start.headers["set-cookie"].lower()


def test_login_sets_a_session_cookie_and_tokens_stay_here(w, gateway) -> None:
    done = log_in(w, gateway)
    assert done.status_code == 303 and done.headers["location"] == "/"
    cookie = next(c for c in done.headers.get_list("set-cookie")
                  if c.startswith("mvk_session="))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain-HTTP loopback only
    me = gateway.get("/session").json()
    assert (me["authenticated"], me["subject"], me["kind"], me["loa"]) == (True, w.staff_id,
                                                                             "staff", 3)
    assert "token" not in str(me).replace("csrf_token", "")
    assert "Logga ut" in gateway.get("/").text


def test_idle_session_ends_and_the_next_page_says_why(w, gateway, monkeypatch) -> None:
    log_in(w, gateway)
    from services.gateway import session as session_module
    later = session_module.time.time() + SETTINGS.session_idle_s + 1
    monkeypatch.setattr(session_module.time, "time", lambda: later)
    page = gateway.get("/inbox")  # a page that needs a login
    assert page.status_code == 303 and page.headers["location"] == "/?idle=1"
    assert "mvk_session=" in page.headers["set-cookie"]  # the cookie is cleared
    told = gateway.get("/?idle=1")
    assert "loggades ut eftersom du varit inaktiv i 15 minuter" in told.text
    assert gateway.get("/session").json() == {"authenticated": False}


def test_a_page_warns_before_the_idle_timeout(w, gateway) -> None:
    log_in(w, gateway)
    page = gateway.get("/").text
    assert 'id="session-timer"' in page and 'id="idle-warning" hidden' in page
    assert "loggas du ut efter 15 minuter utan aktivitet" in page


def test_proxy_attaches_the_token_for_the_right_audience(w, gateway, upstreams) -> None:
    log_in(w, gateway)
    answer = gateway.get("/api/careunit/v1/units/U1/messages").json()
    token = answer["authorization"].removeprefix("Bearer ")
    from joserfc import jwt
    from joserfc.jwk import KeySet
    claims = jwt.decode(token, KeySet.import_key_set(w.door.provider.jwks()),
                        algorithms=["ES256"]).claims
    assert claims["aud"] == "careunit-mailbox" and claims["sub"] == w.staff_id
    again = gateway.get("/api/careunit/v1/x").json()["authorization"]
    assert again == answer["authorization"]  # cached until it nears expiry
    explicit = gateway.get("/api/careunit/v1/x", headers={"Authorization": "Bearer mine"})
    assert explicit.json()["authorization"] == "Bearer mine"


def test_changes_with_the_session_cookie_need_the_csrf_token(w, gateway) -> None:
    log_in(w, gateway)
    assert gateway.post("/api/careunit/v1/x", json={}).status_code == 403
    csrf = gateway.get("/session").json()["csrf_token"]
    ok = gateway.post("/api/careunit/v1/x", json={}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and ok.json()["authorization"].startswith("Bearer ")


def test_logout_revokes_at_identity_and_forgets_the_session(w, gateway) -> None:
    log_in(w, gateway)
    csrf = gateway.get("/session").json()["csrf_token"]
    assert gateway.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    out = gateway.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert gateway.get("/session").json() == {"authenticated": False}
    with w.db.connect() as conn:
        assert conn.execute(select(sessions.c.revoked_reason)).scalar() == "revoked_by_client"
    assert gateway.get("/api/careunit/v1/x").json()["authorization"] is None


def test_callback_needs_the_browser_that_started_the_login(w, gateway) -> None:
    start = gateway.get("/login")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    gateway.cookies.clear()
    assert gateway.get("/callback", params={"state": state, "code": "x"}).status_code == 400
    assert gateway.get("/callback", params={"state": "made-up", "code": "x"}).status_code == 400


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_no_open_redirect_after_login(w, gateway, target) -> None:
    assert log_in(w, gateway, target).headers["location"] == "/"


def test_local_next_path_is_kept(w, gateway) -> None:
    assert log_in(w, gateway, "/api/identity/v1/me").headers["location"] == "/api/identity/v1/me"


def test_cookies_are_secure_off_loopback() -> None:
    assert GatewaySettings(environment="test", public_url="https://vard.example").secure_cookies
    assert not GatewaySettings(environment="test",
                               public_url="http://localhost:8000").secure_cookies


def test_identity_down_keeps_the_session_but_a_revoked_login_ends_it(w, gateway,
                                                                      upstreams) -> None:
    log_in(w, gateway)
    real = upstreams.identity

    class Down(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused")
    upstreams.identity = Down()
    assert gateway.get("/api/careunit/v1/x").status_code == 503
    assert gateway.get("/session").json()["authenticated"]
    upstreams.identity = real
    with w.db.begin() as conn:  # revoked at identity, e.g. staff removed from the catalogue
        conn.execute(sessions.update().values(revoked_at=sessions.c.auth_time))
    assert gateway.get("/api/forms/v1/x").status_code == 401
    assert gateway.get("/session").json() == {"authenticated": False}


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_login_asks_identity_for_the_users_language(gateway, lang: str) -> None:
    """identity is another origin and cannot read our `lang` cookie: ui_locales says it."""
    gateway.cookies.set("lang", lang)
    start = gateway.get("/login")
    assert parse_qs(urlsplit(start.headers["location"]).query)["ui_locales"] == [lang]
