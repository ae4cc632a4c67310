"""The session store: sealed at rest, bound to the row, idle and absolute limits (an idle
end is told apart, so the next page can say why), pending logins once and per browser, and
the fail-closed settings."""

from __future__ import annotations

import pytest

from services.gateway import session as session_module
from services.gateway.session import Session, SessionStore
from services.gateway.session_rows import MemoryRows
from services.gateway.settings import GatewaySettings


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(session_module.time, "time", c)
    return c


def a_session() -> Session:
    return Session(subject="p1", kind="patient", loa=3, refresh_token="refresh-SECRET",
                   id_token="id-SECRET", claims={"listed_unit": "U1"})


async def test_sealed_at_rest_and_bound_to_its_row(clock) -> None:
    rows = MemoryRows()
    store = SessionStore(rows, "secret", idle_s=900, max_s=8 * 3600)
    cookie = await store.create(a_session())
    (key, (_, _, sealed)), = rows._sessions.items()
    assert b"SECRET" not in sealed and cookie not in key
    loaded = await store.get(cookie)
    assert loaded is not None and loaded.refresh_token == "refresh-SECRET"
    assert loaded.claims == {"listed_unit": "U1"}
    other = await store.create(a_session())
    rows._sessions[next(k for k in rows._sessions if k != key)] = rows._sessions[key]
    assert await store.get(other) is None  # a blob moved to another row does not open
    wrong_key = SessionStore(rows, "another secret", idle_s=900, max_s=8 * 3600)
    assert await wrong_key.get(cookie) is None


async def test_idle_timeout_is_told_apart_and_use_extends_it(clock) -> None:
    store = SessionStore(MemoryRows(), "secret", idle_s=900, max_s=8 * 3600)
    cookie = await store.create(a_session())
    clock.now += 800
    assert (await store.load(cookie))[1] == "active"  # used: the idle clock restarts
    clock.now += 800
    assert (await store.load(cookie))[1] == "active"
    clock.now += 901
    assert await store.load(cookie) == (None, "idle")
    assert await store.load(cookie) == (None, "none")  # said once, then simply gone


class CountingRows(MemoryRows):
    def __init__(self) -> None:
        super().__init__()
        self.touches = 0

    async def touch_session(self, key: str, seen: float) -> None:
        self.touches += 1
        await super().touch_session(key, seen)


async def test_use_is_written_at_most_once_a_minute_and_still_keeps_it_alive(clock) -> None:
    rows = CountingRows()
    store = SessionStore(rows, "secret", idle_s=900, max_s=8 * 3600)
    cookie = await store.create(a_session())
    created = clock.now
    for _ in range(5):  # five page views in 50 s: no write
        clock.now += 10
        session, status = await store.load(cookie)
        assert status == "active"
        assert session is not None and session.last_seen == created  # what the page shows
    assert rows.touches == 0
    clock.now += 10  # a minute after the last recorded use: recorded
    assert (await store.load(cookie))[1] == "active"
    assert rows.touches == 1
    for _ in range(60):  # a page every 30 s for half an hour: alive, a write a minute
        clock.now += 30
        assert (await store.load(cookie))[1] == "active"
    assert rows.touches == 31
    clock.now += 901
    assert await store.load(cookie) == (None, "idle")


async def test_absolute_limit_ends_even_a_busy_session(clock) -> None:
    store = SessionStore(MemoryRows(), "secret", idle_s=900, max_s=3600)
    cookie = await store.create(a_session())
    for _ in range(5):
        clock.now += 600
        assert await store.get(cookie) is not None
    clock.now += 700
    assert await store.load(cookie) == (None, "expired")


async def test_pending_login_is_taken_once_and_only_by_its_browser(clock) -> None:
    store = SessionStore(MemoryRows(), "secret", idle_s=900, max_s=3600)
    state, browser = await store.begin_login(nonce="n", verifier="v", next_path="/inbox")
    assert await store.take_login(state, "another browser") is None
    state, browser = await store.begin_login(nonce="n", verifier="v", next_path="/inbox")
    pending = await store.take_login(state, browser)
    assert pending is not None and pending.next_path == "/inbox"
    assert await store.take_login(state, browser) is None


def test_settings_fail_closed_in_production() -> None:
    with pytest.raises(ValueError, match="database_url"):
        GatewaySettings(environment="production", client_secret="x", session_secret="y",
                        internal_api_key="z")
    with pytest.raises(ValueError, match="session_secret"):
        GatewaySettings(environment="production", client_secret="x", internal_api_key="z",
                        database_url="postgresql+psycopg://g@h/gateway")
    prod = GatewaySettings(environment="production", client_secret="x", session_secret="y",
                           internal_api_key="z", database_url="postgresql+psycopg://g@h/g")
    assert prod.show_mailsink is False
    with pytest.raises(ValueError, match="mail sink"):
        GatewaySettings(environment="production", client_secret="x", session_secret="y",
                        internal_api_key="z", database_url="postgresql+psycopg://g@h/g",
                        show_mailsink=True)
