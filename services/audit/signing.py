"""The audit log's signing key: Ed25519 (from `cryptography`), given to the service as a
secret, never stored in the audit database. Each record's (seq, hash) and each checkpoint
is signed, so the database's owner can rewrite rows and recompute the SHA-256 chain but
cannot make signatures for them.

What is signed is fixed text with a domain prefix, so a record signature can never pass
for a checkpoint signature or the other way round."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


class BadKey(ValueError):
    pass


def record_message(seq: int, chain_hash: str) -> bytes:
    return f"mvk-audit-record/v1\n{seq}\n{chain_hash}".encode()


def checkpoint_message(region: str, seq: int, chain_hash: str, signed_at: datetime) -> bytes:
    stamp = signed_at.astimezone(UTC).isoformat(timespec="microseconds")
    return f"mvk-audit-checkpoint/v1\n{region}\n{seq}\n{chain_hash}\n{stamp}".encode()


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_b64(public_key: Ed25519PublicKey) -> str:
    return base64.b64encode(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def load_public_key(b64: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(b64, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise BadKey("a public key is the base64 of 32 bytes") from exc


def trusted_keys(current: Ed25519PublicKey, previous: list[str]) -> list[Ed25519PublicKey]:
    """The keys whose signatures verify: the current one and those it replaced."""
    return [current, *(load_public_key(k) for k in previous)]


def valid(public_key: Ed25519PublicKey, signature_b64: str | None, message: bytes) -> bool:
    if not signature_b64:
        return False
    try:
        public_key.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey
    region: str

    @classmethod
    def from_setting(cls, value: str, region: str) -> Signer:
        try:
            raw = base64.b64decode(value, validate=True)
            return cls(Ed25519PrivateKey.from_private_bytes(raw), region)
        except (binascii.Error, ValueError) as exc:
            raise BadKey("checkpoint_signing_key must be the base64 of 32 random bytes") \
                from exc

    @staticmethod
    def generate_setting() -> str:
        """A new key in the setting's format (`python -m services.audit keygen`)."""
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat
        raw = Ed25519PrivateKey.generate().private_bytes(
            Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return base64.b64encode(raw).decode()

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private_key.sign(message)).decode()

    def sign_record(self, seq: int, chain_hash: str) -> str:
        return self.sign(record_message(seq, chain_hash))

    def sign_checkpoint(self, seq: int, chain_hash: str, signed_at: datetime) -> str:
        return self.sign(checkpoint_message(self.region, seq, chain_hash, signed_at))
