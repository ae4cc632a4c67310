"""Marking sent mail (services.notifier.sender): the mails of one claim are marked together,
in one transaction after the last of them, with one NotificationSent each; a mail that
failed is left to its retry; a mail that has waited a second is marked before the next
one; and a sent mail is recorded even when the database is away at that moment: the sender
retries marking it instead of leaving it to the lease, which would send the same mail again
(the fault suite saw that across a PostgreSQL restart)."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any, cast

import jinja2
import pytest
from sqlalchemy.exc import OperationalError

from services.notifier import sender as sender_module
from services.notifier.sender import Sender
from services.notifier.settings import NotifierSettings


class FlakyEngine:
    """begin() fails `failures` times with OperationalError, then works."""

    def __init__(self, failures: int = 0) -> None:
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

    async def enqueue_many(self, conn, items) -> None:
        self.enqueued.append([(topic, key) for topic, key, _ in items])


class Mailer:
    """Refuses the mails to the addresses in `refuse`."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.refuse, self.sent = refuse, []

    async def send(self, message) -> None:
        if message in self.refuse:
            raise ConnectionError("refused")
        self.sent.append(message)


class Contacts:
    async def address(self, kind, ref) -> str:
        return f"{ref}@example.se"


@pytest.fixture
def marked(monkeypatch) -> list[list]:
    """Each mark_sent call's notification ids; every id is still pending."""
    calls: list[list] = []

    async def mark_sent(conn, notification_ids):
        calls.append(list(notification_ids))
        return set(notification_ids)

    async def no_sleep(_: float) -> None:
        return None

    monkeypatch.setattr(sender_module.store, "mark_sent", mark_sent)
    monkeypatch.setattr(sender_module.asyncio, "sleep", no_sleep)
    return calls


def make_sender(monkeypatch, engine, outbox, mailer=None, **settings) -> Sender:
    sender = Sender(engine=cast(Any, engine), outbox=cast(Any, outbox),
                    contacts=cast(Any, Contacts()), mailer=cast(Any, mailer),
                    templates=jinja2.Environment(),
                    settings=NotifierSettings(environment="test", **settings))
    monkeypatch.setattr(sender, "_event", lambda row: "event")
    monkeypatch.setattr(sender, "_message", lambda row, address: address)
    return sender


def row(ref: str):
    return SimpleNamespace(notification_id=uuid.uuid4(), conversation_id=f"c-{ref}",
                           recipient_kind="staff", recipient_ref=ref, reason="new_message",
                           cause_event_id=uuid.uuid4(), attempts=0, link_token=None)


def claiming(monkeypatch, rows) -> None:
    async def claim(conn, *, limit, lease_s):
        return rows, None
    monkeypatch.setattr(sender_module.store, "claim", claim)


async def test_a_claims_mails_are_marked_in_one_transaction(monkeypatch, marked) -> None:
    rows = [row("a"), row("b"), row("c")]
    failed: list = []

    async def mark_failed_attempt(conn, notification_id, **_) -> None:
        failed.append(notification_id)

    monkeypatch.setattr(sender_module.store, "mark_failed_attempt", mark_failed_attempt)
    claiming(monkeypatch, rows)
    engine, outbox = FlakyEngine(), Outbox()
    mailer = Mailer(refuse=frozenset({"b@example.se"}))
    sender = make_sender(monkeypatch, engine, outbox, mailer)
    assert await sender.send_due() == 3
    assert mailer.sent == ["a@example.se", "c@example.se"]
    assert marked == [[rows[0].notification_id, rows[2].notification_id]]
    assert failed == [rows[1].notification_id]
    assert outbox.enqueued == [[("notifier.events", "c-a"), ("notifier.events", "c-c")]]
    assert engine.commits == 3  # the claim, the failed attempt, the marks


async def test_mails_waiting_over_a_second_are_marked_before_the_next(monkeypatch,
                                                                       marked) -> None:
    rows = [row(r) for r in "abcd"]
    claiming(monkeypatch, rows)
    clock = {"now": 0.0}

    class SlowMailer(Mailer):
        async def send(self, message) -> None:
            clock["now"] += 0.6  # each mail takes the server 0.6 s
            await super().send(message)

    monkeypatch.setattr(sender_module, "monotonic", lambda: clock["now"])
    sender = make_sender(monkeypatch, FlakyEngine(), Outbox(), SlowMailer())
    await sender.send_due()
    ids = [r.notification_id for r in rows]
    # a went out at 0.6 s; after c (1.8 s) it had waited 1.2 s: a, b, c are marked then.
    assert marked == [ids[:3], ids[3:]]


async def test_marking_sent_is_retried_until_the_database_is_back(monkeypatch, marked) -> None:
    engine, outbox = FlakyEngine(failures=3), Outbox()
    sender = make_sender(monkeypatch, engine, outbox)
    sent = row("a")
    await sender._mark_sent([cast(Any, sent)])
    assert marked == [[sent.notification_id]] and engine.commits == 1
    assert outbox.enqueued == [[("notifier.events", "c-a")]]


async def test_a_mail_marked_before_gets_no_second_event(monkeypatch) -> None:
    async def mark_sent(conn, notification_ids):
        return {notification_ids[1]}  # the first was marked by an earlier sender

    monkeypatch.setattr(sender_module.store, "mark_sent", mark_sent)
    outbox = Outbox()
    sender = make_sender(monkeypatch, FlakyEngine(), outbox)
    await sender._mark_sent([cast(Any, row("a")), cast(Any, row("b"))])
    assert outbox.enqueued == [[("notifier.events", "c-b")]]
