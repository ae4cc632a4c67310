"""HPKE (RFC 9180) sealing of message bodies to a mailbox's public key.

The default suite is the post-quantum hybrid ML-KEM-768 + X25519. HPKE's `info` binds the
message id, conversation id and recipient: a ciphertext copied to another row or mailbox
fails to open (InvalidTag) instead of revealing anything."""

from __future__ import annotations

import base64
import functools
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from pydantic import BaseModel, ConfigDict, Field

SUITE_ID = "MLKEM768X25519-HKDFSHA256-AES256GCM"
_SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_MLKEM_SEED_LEN = 64
_MLKEM_PUBLIC_LEN = 1184


class SealError(ValueError):
    """A sealed item could not be opened (wrong key, moved ciphertext, or tampering)."""


class Sealed(BaseModel):
    """A sealed item as stored and as carried in events (opaque without the private key)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    suite: str = SUITE_ID
    key_id: str = Field(min_length=1, max_length=100)
    ciphertext: str = Field(min_length=1, description="base64url")


@dataclass(frozen=True)
class Binding:
    """What a ciphertext belongs to; becomes the HPKE info string."""

    message_id: str
    conversation_id: str
    recipient: str  # mailbox (and owner) the item is sealed to

    def info(self) -> bytes:
        fields = {"m": self.message_id, "c": self.conversation_id, "r": self.recipient}
        return b"mvk-seal-v1|" + json.dumps(fields, sort_keys=True).encode()


def generate_private_key() -> bytes:
    """New hybrid key pair, returned as its serialized private material (seed || x25519)."""
    return (
        mlkem.MLKEM768PrivateKey.generate().private_bytes_raw()
        + x25519.X25519PrivateKey.generate().private_bytes_raw()
    )


# Importing a key expands it (ML-KEM's from its seed: most of the cost of an open), so each
# process keeps the few keys it uses. The private material is already held in memory by the
# keyring (shared.crypto.keyring); this keeps its expanded form next to it.
@functools.lru_cache(maxsize=32)
def _private(material: bytes) -> hpke.MLKEM768X25519PrivateKey:
    return hpke.MLKEM768X25519PrivateKey(
        mlkem.MLKEM768PrivateKey.from_seed_bytes(material[:_MLKEM_SEED_LEN]),
        x25519.X25519PrivateKey.from_private_bytes(material[_MLKEM_SEED_LEN:]),
    )


def public_bytes(private_material: bytes) -> bytes:
    m = mlkem.MLKEM768PrivateKey.from_seed_bytes(private_material[:_MLKEM_SEED_LEN])
    x = x25519.X25519PrivateKey.from_private_bytes(private_material[_MLKEM_SEED_LEN:])
    return m.public_key().public_bytes_raw() + x.public_key().public_bytes_raw()


@functools.lru_cache(maxsize=256)
def _public(material: bytes) -> hpke.MLKEM768X25519PublicKey:
    return hpke.MLKEM768X25519PublicKey(
        mlkem.MLKEM768PublicKey.from_public_bytes(material[:_MLKEM_PUBLIC_LEN]),
        x25519.X25519PublicKey.from_public_bytes(material[_MLKEM_PUBLIC_LEN:]),
    )


def seal(plaintext: bytes, *, public_key: bytes, key_id: str, binding: Binding) -> Sealed:
    ciphertext = _SUITE.encrypt(plaintext, _public(public_key), info=binding.info())
    return Sealed(key_id=key_id, ciphertext=base64.urlsafe_b64encode(ciphertext).decode())


def open_sealed(sealed: Sealed, *, private_key: bytes, binding: Binding) -> bytes:
    if sealed.suite != SUITE_ID:
        raise SealError(f"unsupported suite {sealed.suite}")
    try:
        raw = base64.urlsafe_b64decode(sealed.ciphertext)
        return _SUITE.decrypt(raw, _private(private_key), info=binding.info())
    except (InvalidTag, ValueError) as exc:
        raise SealError("sealed item does not open with this key and binding") from exc
