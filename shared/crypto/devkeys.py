"""Key-encryption keys that must never protect production data: the development ones the
repository itself publishes (devstack derives them as sha256 of "dev-only-kek:<service>";
docker-compose.yml spells the same out) and anything too regular to be random (b"k" * 32,
"x" * 43 as used in tests). Settings refuse them when the environment is production
(shared/settings.py). Only fingerprints are listed, so this file adds no key of its own."""

from __future__ import annotations

import base64
import binascii
import hashlib

# sha256(b"kek:" + kek) of sha256("dev-only-kek:<service>") for every deployable.
DEV_KEK_FINGERPRINTS = frozenset({
    "f8475a1af21ee186fb88e6e014e46687e9dbe58059836ca352852e4bee03449d",  # identity
    "9e253ee62fdc75f3c5ad180bd60c838ce9ada63917b86b08a78acab26043b567",  # patient-mailbox
    "73fa181ede127f9063f605e6ee7d5e4359f996b7470a165b39ce6bbe5e997299",  # careunit-mailbox
    "1fac6c091c1d03d8ef900227bb1a8fa0a1f0164c73c0a39d6a44fe80ecd0ab59",  # gateway
    "a9ece71eb2d4d09eebc4ad3648d86425ef2f2831b74022dd80eebaecfd0927d2",  # forms
    "c6b5a55bc111ccf2cecc53fc550bcb1f34fc5cf9e8ee6b1a3031f1ca09d451b3",  # audit
    "d6b86c46d46900c8d1338c1743d0b6e73cd31077ac561981486f8cd45b9f9af0",  # routing
    "734a47c62b925457eadc981bb4a408a03784e35f3816b813a8bbee44f65de5e7",  # notifier
})
# 32 random bytes hold about 30 distinct values; fewer than 16 happens by chance with a
# probability far below 2**-100, so such a key was typed, not generated.
MIN_DISTINCT_BYTES = 16


def fingerprint(kek: bytes) -> str:
    return hashlib.sha256(b"kek:" + kek).hexdigest()


def is_development_kek(kek: bytes) -> bool:
    return fingerprint(kek) in DEV_KEK_FINGERPRINTS or len(set(kek)) < MIN_DISTINCT_BYTES


def parse_previous(spec: str) -> dict[str, str]:
    """'version=base64url,version=base64url' -> {version: base64url}."""
    found: dict[str, str] = {}
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        version, sep, value = item.partition("=")
        if not sep or not version.strip() or not value.strip():
            raise ValueError("previous KEKs are 'version=base64url' items, comma-separated")
        found[version.strip()] = value.strip()
    return found


def decoded(value: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, binascii.Error):
        return None
