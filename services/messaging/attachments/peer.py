"""The claim check between the mailboxes: each serves the copies sealed to the other's key
on an internal endpoint (its own internal credential; ciphertext only, which nobody but the other mailbox
can open), and fetches the other's when a message with attachments arrives."""

from __future__ import annotations

import logging

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import select

from services.messaging.attachments.blobs import sealed_of
from shared.auth import internal_caller
from shared.crypto.sealing import Sealed

log = logging.getLogger(__name__)

internal = APIRouter(prefix="/internal/v1")


# Each mailbox knows only the other as a caller here (its internal_caller_* setting).
@internal.get("/attachments/{attachment_id}",
              dependencies=[Depends(internal_caller("patient-mailbox", "careunit-mailbox"))])
async def hand_over(request: Request, attachment_id: str) -> dict:
    table = request.app.state.attachments_table
    async with request.app.state.mailbox.engine.connect() as conn:
        row = (await conn.execute(select(table.c.outbound_key_id, table.c.outbound_ciphertext)
                                  .where(table.c.attachment_id == attachment_id,
                                         table.c.item_id.is_not(None),
                                         table.c.outbound_ciphertext.is_not(None)))).first()
    if row is None:
        raise HTTPException(404, "no such attachment")
    return sealed_of(row.outbound_key_id, row.outbound_ciphertext).model_dump()


class PeerAttachments:
    """The other mailbox's internal attachment endpoint."""

    def __init__(self, base_url: str, internal_api_key: str, timeout_s: float = 30.0) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout_s,
                                       headers={"X-Internal-Api-Key": internal_api_key})

    async def fetch(self, attachment_id: str) -> Sealed | None:
        """The sealed copy, or None when it cannot be had now (fetched again on download)."""
        try:
            response = await self._http.get(f"/internal/v1/attachments/{attachment_id}")
        except httpx.HTTPError as exc:
            log.warning("attachment fetch failed", extra={"error": type(exc).__name__})
            return None
        if response.status_code != 200:
            log.warning("attachment fetch refused", extra={"status": response.status_code})
            return None
        return Sealed.model_validate(response.json())

    async def aclose(self) -> None:
        await self._http.aclose()
