"""An appointment proposed in a conversation, as both mailboxes see it: its states and the
transitions between them, pure (no I/O). A refused transition raises DomainError (409).

    proposed --accept--> accepted --cancel--> cancelled
       |  \\--decline--> declined
       |--cancel--> cancelled
    proposed | accepted --a new proposal replacing it--> replaced"""

from __future__ import annotations

from services.messaging.domain import DomainError

PROPOSED, ACCEPTED, DECLINED, CANCELLED, REPLACED = (
    "proposed", "accepted", "declined", "cancelled", "replaced")
LIVE = (PROPOSED, ACCEPTED)
_BY_PATIENT = {"accept": (PROPOSED, ACCEPTED), "decline": (PROPOSED, DECLINED),
               "cancel": (ACCEPTED, CANCELLED)}


def patient_answers(status: str, answer: str) -> str:
    """The state after the patient's answer: accept or decline a proposal, cancel an
    accepted time."""
    before, after = _BY_PATIENT[answer]
    if status != before:
        raise DomainError(f"the appointment is {status}; it cannot be {answer}ed now"
                          if answer != "cancel" else
                          f"the appointment is {status}; only an accepted one can be cancelled")
    return after


def unit_cancels(status: str) -> str:
    if status not in LIVE:
        raise DomainError(f"the appointment is {status}; there is nothing to cancel")
    return CANCELLED


def replaced(status: str) -> str:
    """A change: the unit proposes a new time for a live appointment."""
    if status not in LIVE:
        raise DomainError(f"the appointment is {status}; only a proposed or accepted one "
                          "can be changed")
    return REPLACED
