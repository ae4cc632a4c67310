"""Time-based checkpoints: besides one every `checkpoint_every_records` records (signed in
the appending transaction, store.append_entry), the head is signed when it has gone
`checkpoint_every_s` without one, so a quiet log is anchored too. At start the head is
signed at once, which also anchors records made before records were signed."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from services.audit import store


async def run(engine: AsyncEngine, chain: store.Chain, every_s: float) -> None:
    while True:
        async with engine.begin() as conn:
            await store.checkpoint_head(conn, chain)
        await asyncio.sleep(every_s)
