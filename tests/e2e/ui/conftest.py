"""Fixtures of the web UI's browser tests: one chromium per test session, a `ui` harness per
test (its screenshots under the test's tmp dir)."""

from __future__ import annotations

import pytest
from playwright.async_api import async_playwright

from tests.e2e.ui.harness import CHROMIUM, CHROMIUM_ARGS, Ui


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
