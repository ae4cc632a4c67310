"""The queue of letters waiting to be printed and posted, and what operators do with it.

States: queued -> printing -> posted; printing -> queued (reprint); queued -> withdrawn.
A newer letter of the same kind withdraws the queued ones (their codes are revoked anyway).
A PDF contains a live activation code, so it is stored sealed under identity's KEK (the
letter id is associated data) and dropped once the letter is posted or withdrawn."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity.patients.tables import print_queue
from shared.crypto.keyring import KeyWrapper

State = Literal["queued", "printing", "posted", "withdrawn"]
Routing = Literal["home_address", "skatteverket_forwarding"]
MOVES: dict[str, set[str]] = {"queued": {"printing", "withdrawn"},
                              "printing": {"posted", "queued"}}
_DONE = {"posted", "withdrawn"}


class IllegalMove(Exception):
    pass


class PrintQueue:
    def __init__(self, wrapper: KeyWrapper, forwarding_address: str) -> None:
        self._wrapper, self.forwarding_address = wrapper, forwarding_address

    async def enqueue(self, conn: AsyncConnection, patient_id: uuid.UUID, routing: Routing,
                      pdf: bytes, *, kind: str = "activation_letter",
                      now: datetime | None = None) -> uuid.UUID:
        now = now or datetime.now(UTC)
        t = print_queue
        await conn.execute(t.update().where(t.c.patient_id == patient_id, t.c.kind == kind,
                                            t.c.state == "queued")
                           .values(state="withdrawn", pdf_sealed=None, updated_at=now))
        letter_id = uuid.uuid4()
        await conn.execute(t.insert().values(
            letter_id=letter_id, patient_id=patient_id, kind=kind, routing=routing,
            state="queued", pdf_sealed=self._wrapper.wrap(_aad(letter_id), pdf),
            created_at=now, updated_at=now))
        return letter_id

    async def sent_since(self, conn: AsyncConnection, patient_id: uuid.UUID,
                         since: datetime) -> int:
        """Letters made for this patient since then (whatever became of them)."""
        return (await conn.execute(select(func.count()).select_from(print_queue).where(
            print_queue.c.patient_id == patient_id, print_queue.c.created_at >= since))
        ).scalar_one()

    async def letters(self, conn: AsyncConnection, state: State | None) -> list[dict[str, Any]]:
        """The listing operators work from: ids, routing and the envelope, no personal data."""
        query = select(print_queue.c.letter_id, print_queue.c.kind, print_queue.c.routing,
                       print_queue.c.state, print_queue.c.created_at,
                       print_queue.c.updated_at).order_by(print_queue.c.created_at)
        if state is not None:
            query = query.where(print_queue.c.state == state)
        return [self._public(row._asdict()) for row in await conn.execute(query)]

    def _public(self, row: dict[str, Any]) -> dict[str, Any]:
        row["letter_id"] = str(row["letter_id"])
        # The outer envelope: Skatteverket's forwarding address, or the letter's own window.
        row["outer_envelope"] = (self.forwarding_address
                                 if row["routing"] == "skatteverket_forwarding" else None)
        return row

    async def pdf(self, conn: AsyncConnection, letter_id: uuid.UUID) -> bytes | None:
        sealed = (await conn.execute(select(print_queue.c.pdf_sealed)
                                     .where(print_queue.c.letter_id == letter_id))
                  ).scalar_one_or_none()
        return self._wrapper.unwrap(_aad(letter_id), sealed) if sealed else None

    async def move(self, conn: AsyncConnection, letter_id: uuid.UUID, to: State,
                   now: datetime | None = None) -> bool:
        """False if there is no such letter; IllegalMove if `to` cannot follow its state."""
        row = (await conn.execute(select(print_queue.c.state)
                                  .where(print_queue.c.letter_id == letter_id)
                                  .with_for_update())).first()
        if row is None:
            return False
        if to not in MOVES.get(row.state, set()):
            raise IllegalMove(f"a {row.state} letter cannot become {to}")
        values: dict[str, Any] = {"state": to, "updated_at": now or datetime.now(UTC)}
        if to in _DONE:
            values["pdf_sealed"] = None
        await conn.execute(print_queue.update().where(print_queue.c.letter_id == letter_id)
                           .values(**values))
        return True


def _aad(letter_id: uuid.UUID) -> str:
    return f"print_queue:{letter_id}"
