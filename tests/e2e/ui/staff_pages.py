"""Helpers of the designer's and auditor's browser tests: a staff member logs in through
identity's staff form (HSA-id, dev password, TOTP), and a fresh care unit is staffed through
the catalogue import, as a region's HSA export would."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect

from tests.e2e.oidc_flow import staff_totp
from tests.e2e.staffing import Staff, Unit, hsa_id, import_catalogue, write_ldif


async def login_staff(ui, page: Page, staff_id: str, next_path: str) -> None:
    await page.goto(f"{ui.gateway}/login?next={next_path}")
    password, otp = staff_totp(staff_id)
    await page.locator("#staff-hsa-id").fill(staff_id)
    await page.locator("#staff-password").fill(password)
    await page.locator("#staff-otp").fill(otp)
    await page.locator("form[action='/login/staff'] button[type=submit]").click()
    await page.wait_for_url(re.compile(re.escape(ui.gateway) + "/"))
    await expect(page.locator("form[action='/logout']")).to_be_visible()


async def staffed_unit(stack, tmp: Path, roles: list[str],
                       services: list[str] | None = None) -> tuple[str, str]:
    """A new care unit (its built-in forms are provisioned and offered when identity announces
    it) and a new staff member with `roles` there: (unit id, HSA-id)."""
    unit = Unit(hsa_id("UD"), "Vårdcentralen Formgivning",
                *([services] if services is not None else []))
    person = Staff(hsa_id("D"), "nurse", {unit.unit_id: roles})
    await import_catalogue(stack, write_ldif(tmp / "unit.ldif", [unit], [person]), merge=True)
    return unit.unit_id, person.hsa_id
