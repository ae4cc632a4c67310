"""The web UI's browser harness: Debian's chromium through Playwright, axe-core from npm,
a screenshot of every page visited, and logging in through identity's test e-ID.

    ui = Ui(browser, gateway_url, shots_dir)            # see conftest.py's `ui` fixture
    page = await ui.page(lang="en", javascript=False)
    await ui.login_patient(page, personnummer)
    await ui.visit(page, "/inbox", "inbox")            # goto + screenshot + axe
    await assert_accessible(page)"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, expect

REPO = Path(__file__).resolve().parents[3]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
DOCS_SHOTS = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


# One page per browser and origin, kept for the test session, where axe runs. A fresh context,
# a page load and axe's own 0.5 MB script for every check were two thirds of each check's
# time (about 0.8 of 1.2 s; the staff pages' ten steps alone make 19 checks).
_PROBES: dict[tuple[int, str], Page] = {}


async def _probe(browser: Browser, origin: str) -> Page:
    key = (id(browser), origin)
    probe = _PROBES.get(key)
    if probe is None or probe.is_closed():
        context = await browser.new_context(bypass_csp=True)
        await context.add_init_script(path=str(AXE))
        probe = await context.new_page()
        await probe.goto(origin + "/no-such-page-axe-probe")
        _PROBES[key] = probe
    return probe


async def serious_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical WCAG 2.2 AA violations on the page as it is shown now,
    also when it answered a POST (which a second browser could not load again): its HTML is
    put into a page at the same origin, so the stylesheets load and contrast is judged as the
    person sees it. That page bypasses CSP, since the page's own CSP rightly allows no
    injected script."""
    origin = re.match(r"https?://[^/]+", page.url)
    assert origin is not None, f"not a page of the stack: {page.url}"
    probe = await _probe(page.context.browser, origin.group(0))  # type: ignore[arg-type]
    await probe.set_content(await page.content(), wait_until="load")
    if not await probe.evaluate("typeof axe !== 'undefined'"):
        await probe.add_script_tag(path=str(AXE))  # the document was replaced, realm and all
    result = await probe.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


async def assert_accessible(page: Page, name: str | None = None) -> None:
    """No serious or critical WCAG 2.2 AA violation on the page as it is now (axe-core)."""
    bad = await serious_violations(page)
    assert not bad, f"{name or page.url}: " + json.dumps(
        [{"id": v["id"], "impact": v["impact"], "help": v["help"],
          "nodes": [n["target"] for n in v["nodes"][:3]]} for v in bad], indent=1)


async def assert_one_language(page: Page) -> None:
    """No catalog text of the other language on the page (see tests/unit/gateway/test_i18n)."""
    from tests.unit.gateway.test_i18n import foreign_phrases

    lang = await page.evaluate("document.documentElement.lang")
    text = await page.inner_text("body")
    leaked = [p for p in foreign_phrases(lang) if p in text]
    assert not leaked, f"{page.url} ({lang}) shows untranslated: {leaked}"


class Ui:
    def __init__(self, browser: Browser, gateway: str, shots: Path) -> None:
        self.browser, self.gateway, self.shots = browser, gateway.rstrip("/"), shots
        self.contexts: list[BrowserContext] = []
        shots.mkdir(parents=True, exist_ok=True)

    async def page(self, *, lang: str = "sv", javascript: bool = True) -> Page:
        context = await self.browser.new_context(
            locale="sv-SE" if lang == "sv" else "en-GB", java_script_enabled=javascript)
        self.contexts.append(context)
        if lang != "sv":
            await context.add_cookies([{"name": "lang", "value": lang, "url": self.gateway}])
        return await context.new_page()

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()

    async def shot(self, page: Page, name: str, *, docs: bool = False) -> Path:
        """A full-page screenshot in this run's folder; the README's ones (`docs`) are copied
        to docs/screenshots when UPDATE_DOCS_SCREENSHOTS=1, so a test run leaves the working
        copy as it was."""
        safe = re.sub(r"[^a-z0-9_-]+", "-", name.lower())
        path = self.shots / f"{safe}.png"
        await page.screenshot(path=str(path), full_page=True)
        if docs and os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, DOCS_SHOTS / path.name)
        return path

    async def visit(self, page: Page, path: str, name: str, *, docs: bool = False,
                    axe: bool = True) -> None:
        response = await page.goto(self.gateway + path)
        assert response is not None and response.status < 400, (path, response and response.status)
        await self.check(page, name, docs=docs, axe=axe)

    async def check(self, page: Page, name: str, *, docs: bool = False,
                    axe: bool = True) -> None:
        """The page as it is: screenshot, one language only, and (by default) axe."""
        await self.shot(page, name, docs=docs)
        await assert_one_language(page)
        if axe:
            await assert_accessible(page)

    async def login_patient(self, page: Page, personnummer: str, *, lang: str = "sv") -> None:
        """Through the gateway's /login, identity's login page and the test e-ID approval."""
        await page.goto(self.gateway + "/login")
        await page.locator("form[action='/login/eid/start'] button").first.click()
        await page.locator("input[name=personnummer]").fill(personnummer)
        await page.locator("button[name=decision][value=approve]").click()
        await page.wait_for_url(re.compile(re.escape(self.gateway) + r"/(start|\?|$)"))
        await expect(page.locator("form[action='/logout']").first).to_be_visible()

    async def login_patient_password(self, page: Page, personnummer: str, password: str) -> None:
        """With the password from the activation letter (loa 2, no message content)."""
        await page.goto(self.gateway + "/login")
        await page.locator("#patient-personnummer").fill(personnummer)
        await page.locator("#patient-password").fill(password)
        await page.locator("form[action='/login/password'] button").click()
        await page.wait_for_url(re.compile(re.escape(self.gateway) + r"/start"))
