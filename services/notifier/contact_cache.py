"""A short-lived, bounded cache of patients' contact settings (verified address and choice
of mails), so a patient's several mails within a minute cost one look-up at identity.

Correctness rests on invalidation, not on the TTL alone. identity publishes
ContactSettingsChanged (the patient id only) in the transaction that changes an address, its
verification or the choices. The notifier's consumer handles it by NOTIFYing
`CHANNEL` with the patient id in its inbox transaction, delivered at commit to the listener
of every notifier replica (a consumer group hands each event to one replica only), and each
drops its entry. So once the event is consumed, no replica mails from the old settings.

- The cache is used only while its listener is connected: a notification could be missed
  otherwise. Every (re)connection and every loss of the connection empties it.
- A look-up that was in flight when an invalidation arrived is not stored (the `epoch`
  check): it may have read the settings from before the change.
- What remains is the event's own delay: between identity's commit and the consumer's
  (normally well under a second, longer only while Kafka or the notifier is behind), a mail
  may still use the settings from before, as it would have without a cache if sent in that
  moment. The TTL bounds any leftover to `ttl_s` (60 s by default)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from prometheus_client import Counter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.notifier.contacts import PatientContact
from shared.outbox import listen_channel

CHANNEL = "notifier_contact_changed"  # payload: the patient id
LOOKUPS = Counter("notifier_contact_cache_lookups_total",
                  "Patient contact look-ups by the notifier, by cache result", ["result"])
HITS, MISSES = LOOKUPS.labels("hit"), LOOKUPS.labels("miss")  # bound once, not per look-up


async def announce_change(conn: AsyncConnection, patient_id: str) -> None:
    """In the consumer's transaction: every replica's cache drops the patient at commit."""
    await conn.execute(text("SELECT pg_notify(:channel, :patient_id)"),
                       {"channel": CHANNEL, "patient_id": patient_id})


class PatientContactCache:
    def __init__(self, *, ttl_s: float = 60.0, max_entries: int = 4096,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._max, self._clock = ttl_s, max_entries, clock
        self._entries: OrderedDict[str, tuple[float, PatientContact]] = OrderedDict()
        self.epoch = 0  # moves on every invalidation; a look-up stores only if unchanged
        self.live = False  # the listener is connected (set by `listen`, or by tests)

    def get(self, patient_id: str) -> PatientContact | None:
        hit = self._entries.get(patient_id) if self.live else None
        if hit is not None and self._clock() - hit[0] < self._ttl:
            HITS.inc()
            return hit[1]
        MISSES.inc()
        return None

    def put(self, patient_id: str, contact: PatientContact, epoch: int) -> None:
        """`epoch`: the value read before the look-up started."""
        if not self.live or epoch != self.epoch or self._ttl <= 0:
            return
        self._entries[patient_id] = (self._clock(), contact)
        self._entries.move_to_end(patient_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def invalidate(self, patient_id: str | None = None) -> None:
        """Drop one patient's entry, or (None) all of them."""
        self.epoch += 1
        if patient_id is None:
            self._entries.clear()
        else:
            self._entries.pop(patient_id, None)

    def __len__(self) -> int:
        return len(self._entries)

    async def listen(self, engine: AsyncEngine) -> None:
        """For ever: LISTEN on CHANNEL, dropping each named patient; reconnects after a
        database restart. The cache is off (and empty) whenever it is not listening."""
        def connected() -> None:
            self.invalidate()
            self.live = True

        def lost() -> None:
            self.live = False
            self.invalidate()
        await listen_channel(engine, CHANNEL, connected=connected,
                             notified=lambda payload: self.invalidate(payload or None),
                             lost=lost)
