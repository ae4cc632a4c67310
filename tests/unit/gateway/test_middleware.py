"""The gateway's own middleware (bootstrap.SessionAndHeaders, pure ASGI) in its place in the
stack: the body limit outermost, then session and headers, then the shared body cap and the
request observer. It answers 413 with a page when the body was refused, deletes the cookie
of an idle session, puts the security headers on pages and streamed files alike, and leaves
gives a crashing route its 500 page with the same headers (still counted as a 500)."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from services.gateway import session as session_module
from services.gateway.bootstrap import SECURITY_HEADERS, SessionAndHeaders, create_app
from services.gateway.limits import BodyLimit
from services.gateway.session import SESSION_COOKIE, Session
from shared.bodylimit import BodySizeLimit
from shared.web import Observe
from tests.unit.gateway.test_app import SETTINGS, FakeUpstream

STATIC = Path(__file__).resolve().parents[3] / "services" / "gateway" / "static"


def gateway() -> TestClient:
    app = create_app(SETTINGS, transport=httpx.MockTransport(FakeUpstream()))

    @app.get("/crash-for-test")
    async def crash() -> None:
        raise RuntimeError("a bug")
    return TestClient(app, raise_server_exceptions=False)


def has_security_headers(response: httpx.Response) -> bool:
    return all(response.headers.get(k) == v for k, v in SECURITY_HEADERS.items())


def test_middleware_order_is_kept() -> None:
    assert [m.cls for m in gateway().app.user_middleware] == [  # type: ignore[attr-defined]
        BodyLimit, SessionAndHeaders, BodySizeLimit, Observe]


def test_a_refused_body_gets_the_413_page_with_the_headers() -> None:
    with gateway() as c:
        page = c.post("/", content=b"x" * (SETTINGS.max_body_bytes + 1))
        assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
        assert has_security_headers(page) and "<html" in page.text


def test_a_streamed_file_gets_the_headers_and_passes_whole() -> None:
    with gateway() as c:
        css = c.get("/assets/ui/app.css")
        assert css.status_code == 200 and has_security_headers(css)
        assert css.content == (STATIC / "app.css").read_bytes()


def test_an_idle_session_cookie_is_deleted(monkeypatch) -> None:
    with gateway() as c:
        store = c.app.state.sessions  # type: ignore[attr-defined]
        cookie = c.portal.call(store.create, Session(  # type: ignore[union-attr]
            subject="p1", kind="patient", loa=3, refresh_token="r", id_token="i"))
        later = session_module.time.time() + SETTINGS.session_idle_s + 1
        monkeypatch.setattr(session_module.time, "time", lambda: later)
        page = c.get("/", headers={"cookie": f"{SESSION_COOKIE}={cookie}"})
        deleted = page.headers["set-cookie"]
        assert deleted.startswith(f'{SESSION_COOKIE}=""') and "Max-Age=0" in deleted
        assert "Path=/" in deleted and has_security_headers(page)
        assert "set-cookie" not in c.get("/").headers  # no session: nothing to delete


def test_a_crashing_route_is_the_500_page_and_counted() -> None:
    labels = {"route": "/crash-for-test", "method": "GET", "status": "500"}
    before = REGISTRY.get_sample_value("http_requests_total", labels) or 0.0
    with gateway() as c:
        page = c.get("/crash-for-test")
    assert page.status_code == 500 and "<html" in page.text
    assert REGISTRY.get_sample_value("http_requests_total", labels) == before + 1
    # The page comes from this middleware, not Starlette's outermost handler: the security
    # headers and the correlation id (for the operator the user reports it to) are on it.
    assert has_security_headers(page) and page.headers["x-correlation-id"]


def test_a_crash_under_a_client_correlation_id_reports_that_id() -> None:
    with gateway() as c:
        page = c.get("/crash-for-test",
                     headers={"x-correlation-id": "0192f0aa-0000-7000-8000-000000000001"})
    assert page.status_code == 500
    assert page.headers["x-correlation-id"] == "0192f0aa-0000-7000-8000-000000000001"

