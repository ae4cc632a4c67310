"""The gateway app with a fake upstream behind the real httpx client (no network)."""

import httpx
import pytest
from fastapi.testclient import TestClient

from services.gateway.bootstrap import SECURITY_HEADERS, create_app
from services.gateway.settings import GatewaySettings

SETTINGS = GatewaySettings(environment="test", identity_url="http://id.test",
                           forms_url="http://forms.test", mailsink_url="http://mail.test:8025")


class FakeUpstream:
    def __init__(self, fail: Exception | None = None, healthy: bool = True) -> None:
        self.requests: list[httpx.Request] = []
        self.fail, self.healthy = fail, healthy

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.fail:
            raise self.fail
        if request.url.path == "/healthz":
            return httpx.Response(200 if self.healthy else 500)
        self.requests.append(request)
        return httpx.Response(201, content=b'{"ok": true}', headers={
            "content-type": "application/json", "set-cookie": "upstream=1",
            "www-authenticate": "Bearer"})


@pytest.fixture
def upstream() -> FakeUpstream:
    return FakeUpstream()


@pytest.fixture
def client(upstream: FakeUpstream):
    with TestClient(create_app(SETTINGS, transport=httpx.MockTransport(upstream))) as c:
        yield c


def test_forwards_method_query_body_and_chosen_headers(client, upstream) -> None:
    response = client.post(
        "/api/forms/v1/forms?unit=SE1&x=%C3%A5", content=b'{"a": 1}',
        headers={"authorization": "Bearer t", "content-type": "application/json",
                 "x-correlation-id": "cid-1", "cookie": "session=secret"})
    assert (response.status_code, response.json()) == (201, {"ok": True})
    assert response.headers["content-type"] == "application/json"
    assert "set-cookie" not in response.headers
    sent = upstream.requests[0]
    assert (sent.method, str(sent.url)) == ("POST", "http://forms.test/v1/forms?unit=SE1&x=%C3%A5")
    assert sent.content == b'{"a": 1}'
    assert sent.headers["authorization"] == "Bearer t"
    assert sent.headers["x-correlation-id"] == "cid-1"
    assert "cookie" not in sent.headers


def test_generates_a_correlation_id_when_missing(client, upstream) -> None:
    response = client.get("/api/identity/v1/units")
    sent_cid = upstream.requests[0].headers["x-correlation-id"]
    assert sent_cid and sent_cid == response.headers["x-correlation-id"]


@pytest.mark.parametrize("path", [
    "/api/identity/internal/v1/contacts/units/SE1",
    "/api/identity/%69nternal/v1/contacts/units/SE1",
    "/api/identity//internal/v1/contacts/units/SE1",
    "/api/routing/v1/x",
])
def test_internal_and_unknown_paths_are_404_and_never_forwarded(client, upstream, path) -> None:
    response = client.get(path, headers={"x-internal-api-key": "guess"})
    assert response.status_code == 404
    assert upstream.requests == []


def test_upstream_down_is_502_with_reason() -> None:
    down = FakeUpstream(fail=httpx.ConnectError("refused"))
    with TestClient(create_app(SETTINGS, transport=httpx.MockTransport(down))) as c:
        response = c.get("/api/identity/v1/units")
        assert response.status_code == 502
        assert "identity is unavailable" in response.json()["detail"]
        assert c.get("/readyz").status_code == 503


def test_ready_when_identity_answers(client) -> None:
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize("path", ["/", "/api/identity/v1/units", "/api/nope/x", "/healthz"])
def test_security_headers_on_every_response(client, path) -> None:
    headers = client.get(path).headers
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value
    assert "default-src 'self'" in headers["content-security-policy"]


def test_index_is_swedish_and_links_no_upstream_address(client) -> None:
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert '<html lang="sv" class="govuk-template">' in response.text
    assert "id.test" not in response.text and "/docs" not in response.text
    assert 'href="/dev/mail"' not in response.text  # only in the menu of a logged-in page


def test_language_switch_is_remembered(client) -> None:
    switched = client.get("/language", params={"lang": "en", "next": "/"},
                          follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/"
    assert "lang=en" in switched.headers["set-cookie"]
    page = client.get("/")
    assert '<html lang="en"' in page.text and "Log in" in page.text
    assert client.get("/language", params={"lang": "de"}).status_code == 400


def test_body_over_the_limit_is_refused_with_413(client, upstream) -> None:
    big = b"x" * (SETTINGS.max_body_bytes + 1)
    answer = client.post("/api/forms/v1/forms", content=big,
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413 and "larger than" in answer.json()["detail"]
    assert upstream.requests == []

    def chunks():  # no Content-Length: counted as it streams
        yield big[:40000]
        yield big[40000:]

    streamed = client.post("/api/forms/v1/forms", content=chunks())
    assert streamed.status_code == 413 and upstream.requests == []


def test_error_pages_are_html_in_the_chosen_language(client) -> None:
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "Sidan hittades inte" in missing.text
    client.cookies.set("lang", "en")
    assert "Page not found" in client.get("/no-such-page").text
    assert client.get("/api/nowhere/x").json() == {"detail": "not found"}


def test_upstream_internals_are_not_reachable(client, upstream) -> None:
    for path in ("metrics", "docs", "openapi.json", "redoc", "readyz", "healthz",
                 "internal/v1/contacts/patients/x"):
        assert client.get(f"/api/patient/{path}").status_code == 404, path
    assert upstream.requests == []


def test_appends_the_client_address_to_x_forwarded_for(upstream) -> None:
    app = create_app(SETTINGS, transport=httpx.MockTransport(upstream))
    with TestClient(app, client=("203.0.113.9", 50000)) as c:
        c.get("/api/identity/v1/units")
        c.post("/api/identity/v1/patients/register", json={},
               headers={"x-forwarded-for": "198.51.100.1"})
    plain, spoofed = (r.headers["x-forwarded-for"] for r in upstream.requests)
    assert plain == "203.0.113.9"
    # Whatever the caller claims stays to the left: identity reads the chain from the right.
    assert spoofed == "198.51.100.1, 203.0.113.9"


def test_mail_page_shows_the_local_sink_or_mailpit_and_only_in_development() -> None:
    def sink(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/messages":
            return httpx.Response(404)
        assert request.url.path == "/api/v1/messages"
        return httpx.Response(200, json={"messages": [{
            "Subject": "Nytt svar", "Created": "2025-03-02T10:00:00Z",
            "To": [{"Address": "p@example.se"}], "Snippet": "Logga in för att läsa"}]})

    with TestClient(create_app(SETTINGS, transport=httpx.MockTransport(sink))) as c:
        page = c.get("/dev/mail")
    assert page.status_code == 200 and "Nytt svar" in page.text and "p@example.se" in page.text
    hidden = SETTINGS.model_copy(update={"show_mailsink": False})
    with TestClient(create_app(hidden, transport=httpx.MockTransport(sink))) as c:
        assert c.get("/dev/mail").status_code == 404
