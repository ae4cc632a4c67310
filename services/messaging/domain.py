"""The conversation as the patient sees it and the case as the care unit sees it: states and
the transitions allowed between them, pure (no I/O). Commands and event handlers load a row,
call one method here, and store what it says; a refused transition raises a DomainError,
which the API turns into a 409 (or 422) with the reason.

Patient side:  sent -> received -> in_progress -> answered -> closed
               (answered and asking both show "answered"; the patient writing back makes it
               "sent" again until the unit has it; a message nobody can receive ends
               "undeliverable").
Unit side:     unassigned (the general pool, or a group's pool) <-> assigned (one clinician)
               -> answered (answer given) | waiting (a question to the patient) | closed;
               a patient's new message reopens the case for whoever held it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

Action = Literal["answer", "ask", "close"]


class DomainError(Exception):
    """A transition the current state does not allow; `status` is its HTTP mapping."""

    status = 409

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Invalid(DomainError):
    status = 422


# patient side ------------------------------------------------------------------------------

SENT, RECEIVED, IN_PROGRESS, ANSWERED, CLOSED = (
    "sent", "received", "in_progress", "answered", "closed")
UNDELIVERABLE = "undeliverable"
PATIENT_STATUSES = (SENT, RECEIVED, IN_PROGRESS, ANSWERED, CLOSED, UNDELIVERABLE)
_PATIENT_ORDER = {SENT: 0, RECEIVED: 1, IN_PROGRESS: 2}


@dataclass(frozen=True)
class Conversation:
    status: str

    @property
    def can_reply(self) -> bool:
        """The unit holds the conversation and has not closed it (before "received" the
        unit does not know it yet, so a follow-up would have nowhere to land)."""
        return self.status in (RECEIVED, IN_PROGRESS, ANSWERED)

    def _forward(self, status: str) -> Conversation:
        """Progress events may arrive late; a status never steps back because of one."""
        current = _PATIENT_ORDER.get(self.status)
        if current is None or current >= _PATIENT_ORDER[status]:
            return self
        return replace(self, status=status)

    def received(self) -> Conversation:
        return self._forward(RECEIVED)

    def handling_started(self) -> Conversation:
        return self._forward(IN_PROGRESS)

    def undeliverable(self) -> Conversation:
        return replace(self, status=UNDELIVERABLE) if self.status == SENT else self

    def unit_replied(self, action: Action) -> Conversation:
        return replace(self, status=CLOSED if action == "close" else ANSWERED)

    def unit_closed(self) -> Conversation:
        return replace(self, status=CLOSED)

    def patient_writes(self) -> Conversation:
        if self.status == CLOSED:
            raise DomainError("the conversation is closed; start a new one")
        if self.status == UNDELIVERABLE:
            raise DomainError("the conversation could not be delivered; start a new one")
        if not self.can_reply:
            raise DomainError("the care unit has not received the conversation yet; "
                              "wait until it has")
        return replace(self, status=SENT)


# care-unit side ------------------------------------------------------------------------------

UNASSIGNED, ASSIGNED, WAITING = "unassigned", "assigned", "waiting"  # + ANSWERED, CLOSED
_AFTER_REPLY = {"answer": ANSWERED, "ask": WAITING, "close": CLOSED}


@dataclass(frozen=True)
class Case:
    status: str
    assigned_to: str | None = None
    group_id: str | None = None

    @property
    def unanswered(self) -> bool:
        return self.status in (UNASSIGNED, ASSIGNED)

    def holder(self) -> str:
        """Who has it, for a conflict message."""
        if self.status == ASSIGNED:
            return f"clinician {self.assigned_to}"
        return f"the pool of group {self.group_id}" if self.group_id else "nobody"

    def _open(self) -> None:
        if self.status == CLOSED:
            raise DomainError("the conversation is closed")

    def assign_to_clinician(self, clinician_id: str, *, member_of_group: bool,
                            away: bool) -> Case:
        """To a named clinician: from the general pool, or from a group's pool to one of
        that group's members. Anything already held goes back first (take-back), so two
        administrators assigning at once cannot silently overwrite each other."""
        self._open()
        if away:
            raise DomainError(f"clinician {clinician_id} is marked away")
        if self.status != UNASSIGNED:
            raise DomainError(f"message is {self.status} and held by {self.holder()}"
                              + ("; take it back first" if self.status == ASSIGNED else ""))
        if self.group_id is not None and not member_of_group:
            raise DomainError(f"message is in the pool of group {self.group_id}; take it "
                              "back first or assign it to a member of that group")
        return replace(self, status=ASSIGNED, assigned_to=clinician_id)

    def assign_to_group(self, group_id: str) -> Case:
        self._open()
        if self.status != UNASSIGNED or self.group_id is not None:
            raise DomainError(f"message is {self.status} and held by {self.holder()}; "
                              "take it back first")
        return replace(self, group_id=group_id)

    def take_back(self) -> Case:
        """A clinician's message goes back to its group's pool (or the general one); a
        group's pool message goes back to the general pool."""
        if self.status == ASSIGNED:
            return replace(self, status=UNASSIGNED, assigned_to=None)
        if self.status == UNASSIGNED and self.group_id is not None:
            return replace(self, group_id=None)
        raise DomainError(f"message is {self.status} and held by {self.holder()}; "
                          "there is nothing to take back")

    def may_answer(self, clinician_id: str, groups: frozenset[str]) -> bool:
        if self.status == ASSIGNED:
            return self.assigned_to == clinician_id
        return self.status == UNASSIGNED and self.group_id in groups

    def reply(self, clinician_id: str, groups: frozenset[str], action: Action) -> Case:
        self._open()
        if self.status not in (UNASSIGNED, ASSIGNED):
            raise DomainError(f"message is {self.status}: the patient has not written "
                              "since the last answer")
        if not self.may_answer(clinician_id, groups):
            raise DomainError(f"message is held by {self.holder()}, not by you")
        return replace(self, status=_AFTER_REPLY[action], assigned_to=clinician_id)

    def close(self) -> Case:
        self._open()
        return replace(self, status=CLOSED)

    def patient_wrote(self, *, holder_away: bool) -> Case:
        """The patient wrote again: back to whoever held it (unless away), else the pool."""
        if self.assigned_to is not None and not holder_away:
            return replace(self, status=ASSIGNED)
        return replace(self, status=UNASSIGNED, assigned_to=None)

    def clinician_away(self, clinician_id: str) -> Case:
        """Unanswered messages of a clinician marked away return to the pool."""
        if self.status == ASSIGNED and self.assigned_to == clinician_id:
            return replace(self, status=UNASSIGNED, assigned_to=None)
        return self


def due_at(received_at: datetime, promised_days: int | None) -> datetime | None:
    return None if promised_days is None else received_at + timedelta(days=promised_days)


def overdue(case: Case, due: datetime | None, now: datetime) -> bool:
    return case.unanswered and due is not None and now > due
