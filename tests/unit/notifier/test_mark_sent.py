"""A sent mail is recorded even when the database is away at that moment: the sender retries
marking it instead of leaving it to the lease, which would send the same mail again (the
fault suite saw that across a PostgreSQL restart)."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any, cast

import jinja2
from sqlalchemy.exc import OperationalError

from services.notifier import sender as sender_module
from services.notifier.sender import Sender
from services.notifier.settings import NotifierSettings


class FlakyEngine:
    """begin() fails `failures` times with OperationalError, then works."""

    def __init__(self, failures: int) -> None:
        self.failures, self.commits = failures, 0

    @asynccontextmanager
    async def begin(self):
        if self.failures:
            self.failures -= 1
            raise OperationalError("UPDATE", {}, Exception("the database is away"))
        yield SimpleNamespace()
        self.commits += 1


class Outbox:
    def __init__(self) -> None:
        self.enqueued: list[Any] = []

    async def enqueue(self, conn, topic, key, event) -> None:
        self.enqueued.append((topic, key))


async def test_marking_sent_is_retried_until_the_database_is_back(monkeypatch) -> None:
    marked: list[str] = []

    async def mark_sent(conn, notification_id: str) -> bool:
        marked.append(notification_id)
        return True

    async def no_sleep(_: float) -> None:
        return None

    monkeypatch.setattr(sender_module.store, "mark_sent", mark_sent)
    monkeypatch.setattr(sender_module.asyncio, "sleep", no_sleep)
    engine, outbox = FlakyEngine(failures=3), Outbox()
    sender = Sender(engine=cast(Any, engine), outbox=cast(Any, outbox), contacts=cast(Any, None),
                    mailer=cast(Any, None), templates=jinja2.Environment(),
                    settings=NotifierSettings(environment="test"))
    monkeypatch.setattr(sender, "_event", lambda row: "event")
    row = SimpleNamespace(notification_id=str(uuid.uuid4()), conversation_id="c-1")
    await sender._mark_sent(cast(Any, row))
    assert marked == [row.notification_id] and engine.commits == 1
    assert outbox.enqueued == [("notifier.events", "c-1")]
