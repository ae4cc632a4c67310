"""pytest plugin: a real local stack for integration and end-to-end tests.

Loaded from tests/conftest.py with `pytest_plugins = ["tests.stackfixtures"]`.

Session fixtures:
  stack_config  the StackConfig of this test session: `test_config(<fresh dir>)`, a new
                /tmp/devstack-test-* directory per session (ports 20000 above the dev
                stack's, so a running `scripts/start` and a test run never collide)
  infra         Stack with Kafka, every PostgreSQL server and the mail sink running
                (a test that kills one can call `infra.start_infrastructure()` to restart it)
  stack         the same Stack with every service running too (`start_services()`)
  mailsink      MailsinkClient over the mail sink's HTTP API: .messages(), .clear(), .wait_for()

Everything is stopped at the end of the session. The data dir (with logs/<name>.log of every
process) is kept for inspection until the next session, which removes it.

Infrastructure runs as local processes (Java + Maven Central jars, Debian's PostgreSQL;
scripts/bootstrap installs them). The containerised system is tested separately, from its own
images: tests/deploy/test_compose.py."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack import ports
from devstack.config import StackConfig, test_config
from devstack.leftovers import reap_stale_stacks
from devstack.supervisor import Stack

TEST_DIR_PREFIX = "devstack-test-"
_session_dirs: list[Path] = []


def _new_session_dir() -> Path:
    base = Path(tempfile.gettempdir())
    # Earlier sessions' dirs: kill anything a crashed run left behind, then delete them.
    reap_stale_stacks(str(base / f"{TEST_DIR_PREFIX}*"))
    path = Path(tempfile.mkdtemp(prefix=TEST_DIR_PREFIX, dir=base))
    path.chmod(0o755)  # the postgres user needs to reach pg/ inside it
    _session_dirs.append(path)
    return path


# Port blocks for concurrent test sessions on one machine (several developers, or a developer
# and a benchmark): each block is every default port plus the offset; blocks don't overlap.
PORT_BLOCKS = (20000, 10000, 40000, 50000)


def _claim_port_block() -> int:
    """The first block no other live session holds (flock, released when the process ends)."""
    if override := os.environ.get("DEVSTACK_TEST_BASE_PORT"):
        return int(override)
    for base in PORT_BLOCKS:
        if ports.claim_block(base):
            return base
    raise RuntimeError(f"every test port block {PORT_BLOCKS} is in use by another session")


@pytest.fixture(scope="session")
def stack_config() -> StackConfig:
    return test_config(_new_session_dir(), base_port=_claim_port_block())


@pytest.fixture(scope="session")
def infra(stack_config: StackConfig) -> Iterator[Stack]:
    stack = Stack(stack_config)
    try:
        stack.start_infrastructure()
    except BaseException:
        stack.stop()
        raise
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def stack(infra: Stack) -> Iterator[Stack]:
    try:
        infra.start_services()
    except BaseException:
        # Only the services go: tests that need just `infra` still run (pytest reports this
        # error for every test that asks for `stack`, without trying again).
        infra.stop_services()
        raise
    try:
        yield infra
    finally:
        infra.stop()


class MailsinkClient:
    """The mail sink's HTTP API. Message dicts: id, mail_from, rcpt_tos, subject, body, html,
    received_at (ISO 8601, UTC), size; oldest first."""

    def __init__(self, base_url: str) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=10)

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        resp = self._http.get("/api/messages", params={"to": to} if to else None)
        resp.raise_for_status()
        return resp.json()

    def clear(self) -> None:
        self._http.delete("/api/messages").raise_for_status()

    def _match(
        self,
        to: str | None,
        subject: str | None,
        predicate: Callable[[dict[str, Any]], bool] | None,
    ) -> dict[str, Any] | None:
        for m in self.messages(to):
            if subject is not None and subject not in m["subject"]:
                continue
            if predicate is not None and not predicate(m):
                continue
            return m
        return None

    def wait_for(
        self,
        *,
        to: str | None = None,
        subject: str | None = None,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 15.0,
    ) -> dict[str, Any]:
        """The first message to `to` (exact recipient) whose subject contains `subject` and
        that satisfies `predicate`; polls until `timeout`, then fails the test."""
        deadline = time.monotonic() + timeout
        while True:
            found = self._match(to, subject, predicate)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                pytest.fail(
                    f"no mail to={to!r} subject~{subject!r} within {timeout}s; "
                    f"sink has: {[(m['rcpt_tos'], m['subject']) for m in self.messages()]}"
                )
            time.sleep(0.1)

    async def wait_for_async(
        self,
        *,
        to: str | None = None,
        subject: str | None = None,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 15.0,
    ) -> dict[str, Any]:
        """Like wait_for, without blocking the event loop between polls."""
        deadline = time.monotonic() + timeout
        while True:
            found = await asyncio.to_thread(self._match, to, subject, predicate)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                pytest.fail(f"no mail to={to!r} subject~{subject!r} within {timeout}s")
            await asyncio.sleep(0.1)

    def close(self) -> None:
        self._http.close()


@pytest.fixture(scope="session")
def mailsink(infra: Stack) -> Iterator[MailsinkClient]:
    client = MailsinkClient(f"http://127.0.0.1:{infra.cfg.mailsink_http_port}")
    yield client
    client.close()


def pytest_terminal_summary(terminalreporter) -> None:
    for d in _session_dirs:
        terminalreporter.write_line(
            f"devstack: this session's stack data and logs are in {d}/logs "
            "(removed at the start of the next session)"
        )
