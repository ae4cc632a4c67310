"""The sender's side of an end-to-end acknowledgement: a patient's first message that the care
unit has not confirmed (its MessageReceived turns the conversation "received") within
`resend_after_s` is published again from the outbox, until it is confirmed or
`resend_within_s` has passed.

Why: on the way to the care unit the submission passes routing, a faust worker, and faust can
acknowledge a record that its agent never handled. The fault suite saw it once
(docs/faults-results.md): routing, started again after a SIGKILL with a backlog, made its
first offset commit past a submission that it never routed (no output, no dead letter, no log
line), while it re-routed the record before it. Faust's offset book-keeping is not ours to
fix, so the sender sends again until the receiver confirms.

A copy that did arrive is dropped downstream: the row keeps its event id, routing derives the
routed event's id from it, and the care-unit mailbox's inbox records that id. Only first
messages need this: a follow-up goes straight to the care-unit mailbox's inbox consumer, whose
offsets move only after its database commit, and the patient cannot write one before the
unit has the first (409)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from prometheus_client import Counter
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.messaging.domain import SENT
from services.messaging.patient.tables import conversations, messages, outbox_table
from shared.events.contracts import MessageSubmitted
from shared.events.wiring import wire_name

log = logging.getLogger(__name__)

RESENT = Counter("patient_submissions_resent_total",
                 "First messages published again: the care unit had not confirmed them")
SUBMITTED = wire_name(MessageSubmitted)
BATCH = 200


async def resend_unconfirmed(engine: AsyncEngine, channel: str, *, after: timedelta,
                             within: timedelta, now: datetime | None = None) -> int:
    """Marks the outbox rows of unconfirmed first messages pending again (the relay publishes
    them, in id order); returns how many. A row is sent again at most once per `after`."""
    now = now or datetime.now(UTC)
    c, m, o = conversations.c, messages.c, outbox_table.c
    only_the_first = select(func.count()).where(
        m.conversation_id == c.conversation_id).scalar_subquery() == 1
    unconfirmed = select(c.conversation_id).where(
        c.status == SENT, c.created_at > now - within, c.created_at < now - after,
        only_the_first)
    due = select(o.id).where(
        o.event_type == SUBMITTED, o.published_at < now - after, o.parked_at.is_(None),
        o.key.in_(unconfirmed)).order_by(o.id).limit(BATCH)
    async with engine.begin() as conn:
        resent = (await conn.execute(update(outbox_table).where(o.id.in_(due))
                                     .values(published_at=None))).rowcount
        if resent:
            await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})
    if resent:
        RESENT.inc(resent)
        log.warning("unconfirmed submissions sent again", extra={"count": resent})
    return resent


async def run(engine: AsyncEngine, channel: str, *, every_s: float, after_s: float,
              within_s: float) -> None:
    after, within = timedelta(seconds=after_s), timedelta(seconds=within_s)
    while True:
        await asyncio.sleep(every_s)
        try:
            await resend_unconfirmed(engine, channel, after=after, within=within)
        except Exception as exc:  # noqa: BLE001 - the database may be away: next round
            log.warning("resend check failed", extra={"error": type(exc).__name__})
