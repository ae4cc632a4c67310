"""The UI's foundation in a real browser: the layout in both languages (with axe), strict
CSP and no inline script or style, error pages, the mail sink page, logging in and out, and
two gateway processes sharing one session store (log in through one, go on through the
other)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import httpx
import pytest
from playwright.async_api import expect

from devstack.services import service_specs
from tests.e2e.support import SEED
from tests.e2e.ui.harness import REPO, assert_accessible, serious_violations

pytestmark = pytest.mark.e2e
PATIENT = SEED["patients"][0]["personnummer"]


async def test_start_page_in_both_languages_is_accessible_and_has_no_inline_code(ui) -> None:
    page = await ui.page()
    response = await page.goto(ui.gateway + "/")
    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    html = await page.content()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert " style=" not in html and "<style" not in html and " onclick=" not in html
    assert await page.evaluate("document.documentElement.lang") == "sv"
    assert await page.title() == "Välkommen – Mina vårdkontakter"
    assert await page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    await ui.shot(page, "start-anonymous-sv", docs=True)
    await assert_accessible(page)

    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Secure contact with your care")
    assert await page.evaluate("document.documentElement.lang") == "en"
    await page.goto(ui.gateway + "/")  # remembered
    assert await page.title() == "Welcome – Mina vårdkontakter"
    await ui.shot(page, "start-anonymous-en")
    await assert_accessible(page)


async def test_the_accessibility_check_finds_what_it_is_there_to_find(ui) -> None:
    """The axe check (one probe page kept for the session) judges each page anew: a page
    with an unlabelled image and grey-on-white text fails, and the same page without them
    passes afterwards."""
    page = await ui.page()
    await page.goto(ui.gateway + "/")
    await page.evaluate("""() => {
        const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend', '<img src="/static/none.png">');
        const faint = document.createElement('p');
        faint.textContent = 'Knappt synlig text';
        faint.setAttribute('style', 'color: #ddd; background: #fff');
        main.appendChild(faint);
    }""")
    found = {v["id"] for v in await serious_violations(page)}
    assert {"image-alt", "color-contrast"} <= found, found
    await page.goto(ui.gateway + "/")
    assert await serious_violations(page) == []


@pytest.mark.parametrize("lang, title", [("sv", "Sidan hittades inte"),
                                         ("en", "Page not found")])
async def test_error_page_in_each_language(ui, lang: str, title: str) -> None:
    page = await ui.page(lang=lang)
    response = await page.goto(ui.gateway + "/no/such/page")
    assert response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text(title)
    await ui.shot(page, f"error-404-{lang}")
    await assert_accessible(page)


async def test_upstream_internals_are_not_reachable_through_the_gateway(ui) -> None:
    async with httpx.AsyncClient(base_url=ui.gateway) as http:
        for path in ("/api/patient/metrics", "/api/forms/docs", "/api/identity/openapi.json",
                     "/api/audit/redoc", "/api/careunit/readyz", "/api/forms/healthz",
                     "/api/identity/internal/v1/letters"):
            assert (await http.get(path)).status_code == 404, path
        big = await http.post("/api/patient/v1/conversations", content=b"x" * 70_000,
                              headers={"content-type": "application/json"})
        assert big.status_code == 413 and "larger than" in big.json()["detail"]


async def test_log_in_see_the_mail_page_and_log_out(ui) -> None:
    page = await ui.page()
    await ui.login_patient(page, PATIENT)
    cookie = next(c for c in await page.context.cookies(ui.gateway) if c["name"] == "mvk_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    await expect(page.locator("#session-note")).to_contain_text("15 minuter")
    await ui.visit(page, "/dev/mail", "dev-mail")
    await page.get_by_role("button", name="Logga ut").first.click()
    await expect(page.get_by_text("Du är utloggad.")).to_be_visible()
    await ui.shot(page, "logged-out")
    assert (await page.request.get(ui.gateway + "/api/patient/v1/conversations")).status == 401


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def second_gateway(stack):
    """Another gateway process with the same settings (database, secret) on its own port."""
    spec = next(s for s in service_specs(stack.cfg) if s.name == "gateway")
    port = _free_port()
    env = {**os.environ, **spec.env, "GATEWAY_HTTP_PORT": str(port)}
    proc = subprocess.Popen([sys.executable, "-m", "services.gateway"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            raise AssertionError("the second gateway did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


async def test_two_gateways_share_the_session(ui, second_gateway) -> None:
    page = await ui.page()
    await ui.login_patient(page, PATIENT)  # through gateway A
    cookie = next(c["value"] for c in await page.context.cookies(ui.gateway)
                  if c["name"] == "mvk_session")
    async with httpx.AsyncClient(base_url=second_gateway,
                                 cookies={"mvk_session": cookie}) as b:
        who = (await b.get("/session")).json()
        assert who["authenticated"] and who["kind"] == "patient"
        listing = await b.get("/api/patient/v1/conversations")  # a token refresh through B
        assert listing.status_code == 200, listing.text
        inbox = await b.get("/inbox")
        assert inbox.status_code == 200 and "Inkorg – Mina vårdkontakter" in inbox.text
    # ... and A still has the session after B rotated its refresh token.
    response = await page.goto(ui.gateway + "/inbox")
    assert response.status == 200
    await expect(page.get_by_role("heading", level=1)).to_have_text("Inkorg")
