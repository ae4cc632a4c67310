"""Sends pending notifications. SMTP cannot join a database transaction, so each mail is sent
first and marked sent afterwards, together with its notifier.notification_sent event in the
outbox; the mails of one claim are marked together, in one transaction after the last of
them (one commit instead of one per mail), or after MARK_WITHIN_S if the claim takes longer.
A crash between sending and marking sends those mails again after their lease runs out: at
least once is the accepted trade-off (the Message-ID stays the same, so mail clients can
tell).
Identity or SMTP failures are retried with backoff; addresses are never logged or stored.

The sender sleeps until the earliest pending mail comes due, woken early by the NOTIFY that
store.add_pending sends when the consumer's transaction commits; `sender_poll_s` is only the
fallback for a missed wake-up (the listening connection down)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from time import monotonic
from typing import Protocol

import jinja2
from prometheus_client import Counter
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifier import store
from services.notifier.compose import Composer
from services.notifier.contacts import PatientContact
from services.notifier.domain import (
    NO_ADDRESS,
    OPTED_OUT,
    PENDING,
    VERIFICATION,
    RecipientKind,
    patient_wants,
    retry_delay_s,
    state_after_failure,
)
from services.notifier.mail import OutgoingMail, RenderedMail, build_message, render, verify_url
from services.notifier.settings import NotifierSettings
from shared import db
from shared.events import Source, new_event
from shared.events.contracts import NotificationSent
from shared.events.topics import NOTIFIER
from shared.ids import derived_uuid7
from shared.outbox import Outbox, listen

log = logging.getLogger(__name__)

OUTCOMES = Counter("notifications_total", "Notification attempts by outcome", ["outcome"])
# A claim's sent mails are marked together after its last, or as soon as the oldest of them
# has waited this long (looked at after each mail).
MARK_WITHIN_S = 1.0


class Contacts(Protocol):
    async def address(self, kind: RecipientKind, ref: str) -> str | None: ...

    async def patient(self, patient_id: str) -> PatientContact: ...

    async def verification_address(self, verification_id: str) -> str | None: ...


class _OptedOut(Exception):
    """The patient chose not to get this kind of mail."""


class Mailer(Protocol):
    async def send(self, message: EmailMessage | OutgoingMail) -> None: ...


class Sender:
    def __init__(self, *, engine: AsyncEngine, outbox: Outbox, contacts: Contacts,
                 mailer: Mailer, templates: jinja2.Environment,
                 settings: NotifierSettings) -> None:
        self._engine, self._outbox, self._contacts = engine, outbox, contacts
        self._mailer, self._templates, self._settings = mailer, templates, settings
        self._source = Source(service="notifier", region=settings.region)
        self._wake = asyncio.Event()
        self._next_due: datetime | None = None
        self._composer = Composer(sender=settings.mail_from)
        self._rendered: dict[tuple[str, str], RenderedMail] = {}

    async def run(self) -> None:
        listener = asyncio.create_task(listen(self._engine, store.DUE_CHANNEL, self._wake))
        try:
            while True:
                try:
                    handled = await self.send_due()
                except Exception as exc:  # noqa: BLE001 - db away: rows stay pending
                    log.warning("notification sender failed",
                                extra={"error": type(exc).__name__})
                    handled, self._next_due = 0, None
                if handled < self._settings.sender_batch_size:
                    await self._wait()
        finally:
            listener.cancel()

    async def _wait(self) -> None:
        timeout = self._settings.sender_poll_s
        if self._next_due is not None:
            # Never quite zero: a due row another sender holds locked this instant is not
            # ours to spin on.
            timeout = max(0.02, min(timeout, (self._next_due - datetime.now(UTC))
                                    .total_seconds()))
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=timeout)
        except TimeoutError:
            pass
        self._wake.clear()

    async def send_due(self) -> int:
        self._wake.clear()  # what this round claims needs no wake-up of its own
        async with self._engine.begin() as conn:
            # Mail added from now on brings its own wake-up; retries lower next_due (below).
            rows, self._next_due = await store.claim(
                conn, limit=self._settings.sender_batch_size,
                lease_s=self._settings.sender_lease_s)
        # Sent mails wait for the claim's last to be marked together, but never longer than
        # MARK_WITHIN_S (or half the lease): a slow SMTP server must not let a sent mail's
        # lease run out, and a sender that dies leaves only its last second's mails to be
        # sent again.
        within = min(MARK_WITHIN_S, self._settings.sender_lease_s / 2)
        sent: list[Row] = []
        first_sent_at = 0.0
        for row in rows:
            if await self._send_one(row):
                first_sent_at = first_sent_at if sent else monotonic()
                sent.append(row)
            if sent and monotonic() - first_sent_at > within:
                await self._mark_sent(sent)
                sent = []
        if sent:
            await self._mark_sent(sent)
        return len(rows)

    async def _send_one(self, row: Row) -> bool:
        """True when the mail went out (to be marked sent); any other outcome is recorded
        here."""
        ids = {"event_id": str(row.cause_event_id), "conversation_id": row.conversation_id}
        try:
            address = await self._address(row)
            if address is not None:
                await self._mailer.send(self._message(row, address))
        except _OptedOut:
            await self._finish_without_address(row, OPTED_OUT)
            return False
        except Exception as exc:  # noqa: BLE001 - identity/SMTP failed: retry
            await self._failed_attempt(row, type(exc).__name__, ids)
            return False
        if address is None:
            await self._finish_without_address(row)
            return False
        OUTCOMES.labels("sent").inc()
        log.debug("notification sent", extra=ids)  # per event; counted in OUTCOMES
        return True

    def _message(self, row: Row, address: str) -> EmailMessage | OutgoingMail:
        if row.link_token is not None:  # a verification link: this mail's own text
            mail = render(self._templates, row.recipient_kind,
                          login_url=self._settings.login_url, reason=row.reason,
                          verify_url=verify_url(self._settings.login_url, row.link_token))
            return build_message(mail, notification_id=row.notification_id,
                                 sender=self._settings.mail_from, to=address)
        key = (row.recipient_kind, row.reason)  # bounded: the templates' reasons
        cached = self._rendered.get(key)
        if cached is None:
            cached = self._rendered[key] = render(
                self._templates, row.recipient_kind, login_url=self._settings.login_url,
                reason=row.reason)
        return self._composer.compose(cached, notification_id=row.notification_id, to=address)

    async def _mark_sent(self, rows: list[Row]) -> None:
        """The mails are out: record them, retrying while the database is away. Leaving them
        to the lease would send the same mails again once the lease runs out (the fault
        suite saw exactly that across a PostgreSQL restart); mark_sent is idempotent."""
        delay = 0.2
        while True:
            try:
                async with self._engine.begin() as conn:
                    marked = await store.mark_sent(conn, [r.notification_id for r in rows])
                    await self._outbox.enqueue_many(conn, [
                        (NOTIFIER, row.conversation_id, self._event(row))
                        for row in rows if row.notification_id in marked])
                return
            except db.DATABASE_AWAY as exc:
                log.warning("marking a sent notification failed; retrying",
                            extra={"error": type(exc).__name__})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _address(self, row: Row) -> str | None:
        """Where this mail goes: a verification link only to the address it verifies; other
        patient mail only to a verified address, and only if the patient wants it."""
        if row.reason == VERIFICATION:
            return await self._contacts.verification_address(row.conversation_id)
        if row.recipient_kind != "patient":
            return await self._contacts.address(row.recipient_kind, row.recipient_ref)
        contact = await self._contacts.patient(row.recipient_ref)
        if contact.email is not None and not patient_wants(row.reason, contact.notify):
            raise _OptedOut
        return contact.email

    async def _failed_attempt(self, row: Row, error: str, ids: dict) -> None:
        attempts = row.attempts + 1
        state = state_after_failure(attempts, self._settings.max_attempts)
        async with self._engine.begin() as conn:
            await store.mark_failed_attempt(conn, row.notification_id, state=state, error=error,
                                            retry_in_s=retry_delay_s(attempts))
        if state == PENDING:
            retry_at = datetime.now(UTC) + timedelta(seconds=retry_delay_s(attempts))
            self._next_due = min(self._next_due or retry_at, retry_at)
        OUTCOMES.labels("retry" if state == PENDING else "failed").inc()
        log.warning("notification attempt failed", extra={**ids, "error": error,
                                                          "attempt": attempts, "status": state})

    async def _finish_without_address(self, row: Row, state: str = NO_ADDRESS) -> None:
        async with self._engine.begin() as conn:
            await store.mark_final(conn, row.notification_id, state)
        OUTCOMES.labels(state).inc()
        log.debug("no mail to send", extra={"conversation_id": row.conversation_id,
                                           "status": state})

    def _event(self, row: Row):
        data = NotificationSent(
            notification_id=str(row.notification_id), recipient_kind=row.recipient_kind,
            recipient_ref=row.recipient_ref, reason=row.reason,
            conversation_id=row.conversation_id)
        event = new_event(data, source=self._source, subject=row.conversation_id,
                          correlation_id=row.correlation_id,
                          event_id=derived_uuid7(row.notification_id, "sent"))
        return event.model_copy(update={"causation_id": row.cause_event_id})
