"""Fixtures of the web UI's browser tests: one chromium per test session, a `ui` harness per
test (its screenshots under the test's tmp dir)."""

from __future__ import annotations

import pytest
from playwright.async_api import async_playwright, expect

from tests.e2e.ui.harness import CHROMIUM, CHROMIUM_ARGS, Ui

# Assertions retry until this (Playwright's default is 5 s). A page that shows the result of
# work done across services (a sent reply, a routed message) can take longer than 5 s on a
# 2-core CI machine that runs the stack, Chromium and the suite at once; a passing page is
# not slowed by it.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
async def chromium():
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def ui(stack, chromium, tmp_path):
    harness = Ui(chromium, stack.urls()["gateway"], tmp_path / "screenshots")
    try:
        yield harness
    finally:
        await harness.close()
