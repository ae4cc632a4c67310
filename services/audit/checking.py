"""Verifying the log in the database (for GET /v1/verify and the `verify` command): walks
the records up to the current head in batches and feeds services.audit.verification."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.ext.asyncio import AsyncConnection

from services.audit import queries
from services.audit.verification import Checkpoint, Verification, Verifier


async def verify_log(conn: AsyncConnection,
                     public_key: Ed25519PublicKey | Sequence[Ed25519PublicKey], *,
                     batch: int = 1000, published: Iterable[Checkpoint] = ()) -> Verification:
    """`published`: checkpoints read from elsewhere (the audit topic), which the database's
    owner cannot delete; checked together with the stored ones."""
    head = await queries.head(conn)  # records up to the head never change afterwards
    verifier = Verifier(public_key, [*await queries.stored_checkpoints(conn), *published])
    async for row in queries.walk(conn, up_to_seq=head.seq, batch=batch):
        verifier.feed(queries.entry_of(row), row.prev_hash, row.hash, row.signature)
    return verifier.result(head.seq, head.hash)
