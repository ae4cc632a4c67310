"""Verifying the audit log without trusting its database: the pure checker, and the walk
over the database that feeds it (the `verify` command and GET /v1/verify both use it).

A record fits when its seq follows the previous one, its prev_hash is the previous record's
hash, its hash is recomputed from its content, and its signature over (seq, hash) is valid
under the audit key. Every checkpoint (from the database, and from the audit topic, where
the database's owner cannot delete them) must carry a valid signature, and the chain must
reproduce its hash at its seq; a checkpoint beyond the last record means records were cut
off. Records made before records were signed are accepted only up to the first checkpoint,
which anchors them. The first record that does not fit is named with the reason."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.audit import signing
from services.audit.domain import GENESIS, AuditEntry, chain_hash


@dataclass(frozen=True)
class Checkpoint:
    region: str
    seq: int
    hash: str
    signed_at: datetime
    key_id: str
    signature: str


@dataclass(frozen=True)
class Verification:
    ok: bool
    records: int
    checkpoints: int
    first_broken_seq: int | None
    reason: str | None


class Verifier:
    def __init__(self, public_keys: Ed25519PublicKey | Sequence[Ed25519PublicKey],
                 checkpoints: Iterable[Checkpoint]) -> None:
        """`public_keys`: the current key and those it replaced (a signature under any)."""
        self._keys = [public_keys] if isinstance(public_keys, Ed25519PublicKey) \
            else list(public_keys)
        self.records, self.last_seq, self.last_hash = 0, 0, GENESIS
        self.broken: tuple[int, str] | None = None
        self._checkpoints: dict[int, Checkpoint] = {}
        forged: list[Checkpoint] = []
        for cp in checkpoints:
            message = signing.checkpoint_message(cp.region, cp.seq, cp.hash, cp.signed_at)
            if self._signed(cp.signature, message):
                self._checkpoints.setdefault(cp.seq, cp)
            else:
                forged.append(cp)
        for cp in sorted(forged, key=lambda c: c.seq)[:1]:
            self._break(cp.seq, f"checkpoint at seq {cp.seq} has no valid signature")
        self._unsigned_upto = min(self._checkpoints, default=0)

    def _signed(self, signature: str | None, message: bytes) -> bool:
        return any(signing.valid(key, signature, message) for key in self._keys)

    def _break(self, seq: int, reason: str) -> None:
        if self.broken is None or seq < self.broken[0]:
            self.broken = (seq, reason)

    def feed(self, entry: AuditEntry, prev_hash: str, stored_hash: str,
             signature: str | None) -> None:
        self.records += 1
        seq = entry.seq
        computed = chain_hash(prev_hash, entry)
        if seq != self.last_seq + 1:
            missing = self.last_seq + 1
            self._break(missing, f"record {missing} is missing (next record is {seq})"
                        if seq > missing else f"record {seq} is out of order")
        elif prev_hash != self.last_hash:
            self._break(seq, "prev_hash is not the previous record's hash")
        elif computed != stored_hash:
            self._break(seq, "content does not match its hash")
        elif signature is None and seq > self._unsigned_upto:
            self._break(seq, "record is not signed")
        elif signature is not None and not self._signed(
                signature, signing.record_message(seq, stored_hash)):
            self._break(seq, "signature is not valid for this record")
        cp = self._checkpoints.get(seq)
        if cp is not None and cp.hash != computed:
            self._break(seq, f"chain does not reproduce the signed checkpoint at seq {seq}")
        self.last_seq, self.last_hash = max(seq, self.last_seq), stored_hash

    def result(self, head_seq: int, head_hash: str) -> Verification:
        """The head must name the last record, and no signed checkpoint may lie beyond it:
        a cut-off tail shows as missing records."""
        beyond = [s for s in self._checkpoints if s > self.last_seq]
        if beyond:
            self._break(self.last_seq + 1, f"records {self.last_seq + 1}..{max(beyond)} are "
                        f"missing (a signed checkpoint covers seq {max(beyond)})")
        if (head_seq, head_hash) != (self.last_seq, self.last_hash):
            self._break(min(head_seq, self.last_seq) + 1,
                        "the chain head does not name the last record")
        seq, reason = self.broken if self.broken else (None, None)
        return Verification(ok=self.broken is None, records=self.records,
                            checkpoints=len(self._checkpoints), first_broken_seq=seq,
                            reason=reason)
