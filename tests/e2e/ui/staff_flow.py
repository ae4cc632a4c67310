"""Helpers of the staff pages' browser tests: a fresh care unit with its own staff (through
the staff catalogue import), logging a member of staff in through identity's login page
(HSA-id, password, TOTP), a screenshot and axe of the page as shown, and waiting for a row."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from playwright.async_api import Page, expect

from tests.e2e import oidc_flow
from tests.e2e.staffing import Staff, Unit, hsa_id, import_catalogue, write_ldif
from tests.e2e.ui.harness import Ui, assert_accessible

ADMIN, CLINICIAN = "message_administrator", "clinician"


@dataclass
class Team:
    unit: Unit
    other: Unit  # a second unit where the administrator also works (the unit chooser)
    admin: str
    doctor: str
    nurse: str

    @staticmethod
    def name(staff_hsa_id: str) -> str:  # as tests/e2e/staffing.py writes it to the LDIF
        return f"Testperson {staff_hsa_id[-6:]}"


async def new_team(stack, tmp_path, services: list[str] | None = None) -> Team:
    """`services`: the e-services the new unit offers (default: staffing's)."""
    unit, other = Unit(hsa_id("UI"), "Vårdcentralen Webbtest"), Unit(hsa_id("UJ"),
                                                                     "Vårdcentralen Andra")
    if services is not None:
        unit.services = services
    admin, doctor, nurse = hsa_id("A"), hsa_id("D"), hsa_id("N")
    people = [Staff(admin, "medical_secretary", {unit.unit_id: [ADMIN], other.unit_id: [ADMIN]}),
              Staff(doctor, "doctor", {unit.unit_id: [CLINICIAN]}),
              Staff(nurse, "nurse", {unit.unit_id: [CLINICIAN]})]
    await import_catalogue(stack, write_ldif(tmp_path / "team.ldif", [unit, other], people),
                           merge=True)
    return Team(unit, other, admin, doctor, nurse)


async def login_staff(ui: Ui, page: Page, staff_hsa_id: str, next_path: str) -> None:
    await page.goto(f"{ui.gateway}/login?next={next_path}")
    password, otp = oidc_flow.staff_totp(staff_hsa_id)
    form = page.locator("form[action='/login/staff']")
    await form.locator("input[name=hsa_id]").fill(staff_hsa_id)
    await form.locator("input[name=password]").fill(password)
    await form.locator("input[name=otp]").fill(otp)
    await form.locator("button[type=submit]").click()
    await page.wait_for_url(re.compile(re.escape(ui.gateway + next_path.split("?")[0])))
    await expect(page.locator("form[action='/logout']")).to_be_visible()


async def check_here(ui: Ui, page: Page, name: str, *, docs: bool = False) -> None:
    """Screenshot and axe of the page as shown, also when it answered a POST."""
    await ui.shot(page, name, docs=docs)
    await assert_accessible(page, name)


async def reload_until(page: Page, url: str, selector: str, timeout: float = 90) -> None:
    """Loads `url` until `selector` is on it (events reach the mailbox asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        await page.goto(url)
        if await page.locator(selector).count():
            return
        assert time.monotonic() < deadline, f"{selector} never appeared at {url}"
        await page.wait_for_timeout(700)


def _phrases(lang: str) -> tuple[set[str], set[str]]:
    from babel.messages.pofile import read_po

    from services.gateway.ui.i18n import LOCALE_DIR
    ours: set[str] = set()
    other: set[str] = set()
    for domain in ("messages", "staff"):
        for code, into in ((lang, ours), ("en" if lang == "sv" else "sv", other)):
            with (LOCALE_DIR / code / "LC_MESSAGES" / f"{domain}.po").open("rb") as f:
                for m in read_po(f, locale=code):
                    if m.id:
                        into.update(m.string if isinstance(m.string, tuple | list)
                                    else [m.string])
    return ours, other


async def assert_one_language(page: Page, lang: str) -> None:
    """No UI text of the other language on the page (catalog phrases of three words or
    more that differ between the languages): an untranslated string fails here."""
    ours, other = _phrases(lang)
    text = await page.locator("body").inner_text()
    leaked = []
    for phrase in other - ours:
        plain = re.split(r"%\(\w+\)[sd]", phrase)[0].strip()
        if len(plain.split()) >= 3 and plain in text:
            leaked.append(plain)
    assert not leaked, f"{page.url} in {lang} shows: {leaked}"
