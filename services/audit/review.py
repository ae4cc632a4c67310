"""Log review: which staff reads are put before an auditor, by rule and at random. Pure rules
(`reasons`), applied to each read as it is recorded (`services.audit.recording`), so a read
is selected once, in the transaction that records it, and none is missed.

Rules: a read of a message that was never assigned to the reader nor put in a pool of a
group they belong to (an administrator's read of a message not yet distributed is the
distribution itself, and not selected); a read outside working hours. The rule "a staff
member who is a patient at the same unit" needs the staff member's personnummer linked to
the population register and the patient's listing unit, which the catalogue does not hold
(docs/audit-stream.md, "Log review")."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ReviewPolicy:
    work_start: time = time(7, 0)
    work_end: time = time(18, 0)
    weekdays_only: bool = True
    timezone: str = "Europe/Stockholm"
    sample_rate: float = 0.01  # share of all reads picked at random, 0..1

    def outside_hours(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
        if self.weekdays_only and local.weekday() >= 5:
            return True
        return not self.work_start <= local.time() < self.work_end

    def sampled(self, event_id: str) -> bool:
        # From the (random, unguessable) event id: the same read is always in or out.
        draw = int.from_bytes(hashlib.sha256(event_id.encode()).digest()[:8], "big")
        return draw < self.sample_rate * 2**64


def reasons(policy: ReviewPolicy, *, event_id: str, occurred_at: datetime,
            basis: str | None, assigned_to_reader: bool, distributed_before: bool) -> list[str]:
    found = []
    distributing = basis == "administrator" and not distributed_before
    if basis not in ("assigned", "group_pool") and not assigned_to_reader and not distributing:
        found.append("not_assigned")
    if policy.outside_hours(occurred_at):
        found.append("outside_hours")
    if policy.sampled(event_id):
        found.append("random")
    return found
