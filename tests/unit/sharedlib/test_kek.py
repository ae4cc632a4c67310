"""Key-encryption keys: wrapped keys name their KEK version (old versions still unwrap, new
wraps use the current one, keys from before versions still open), and production refuses
every development KEK: the ones the repository publishes and any that is not random."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from devstack.config import StackConfig
from devstack.services import service_specs
from shared.crypto.keyring import KeyWrapper
from shared.settings import MailboxSettings

ROOT = Path(__file__).resolve().parents[3]


def b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def test_wraps_name_their_version_and_old_versions_still_unwrap() -> None:
    old, new = os.urandom(32), os.urandom(32)
    wrapped = KeyWrapper(old, "2025").wrap("key-1", b"private")
    rotated = KeyWrapper(new, "2026", {"2025": old})
    assert rotated.version_of(wrapped) == "2025" and rotated.needs_rewrap(wrapped)
    assert rotated.unwrap("key-1", wrapped) == b"private"
    again = rotated.rewrap("key-1", wrapped)
    assert rotated.version_of(again) == "2026" and not rotated.needs_rewrap(again)
    assert KeyWrapper(new, "2026").unwrap("key-1", again) == b"private"
    with pytest.raises(ValueError, match="not configured"):
        KeyWrapper(new, "2026").unwrap("key-1", wrapped)
    with pytest.raises(InvalidTag):
        rotated.unwrap("key-2", again)  # moved to another row


def test_keys_wrapped_before_versions_still_open() -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    kek, nonce = os.urandom(32), os.urandom(12)
    legacy = nonce + AESGCM(kek).encrypt(nonce, b"private", b"key-1")
    wrapper = KeyWrapper(os.urandom(32), "2", {"1": kek})
    assert wrapper.version_of(legacy) is None and wrapper.unwrap("key-1", legacy) == b"private"


def _published_keks() -> list[str]:
    compose = (ROOT / "docker-compose.yml").read_text()
    found = re.findall(r"-kek: &[\w-]+ (\S+)", compose)
    devstack = [spec.env[k] for spec in service_specs(StackConfig(data_dir=Path("/tmp/unused")))
                for k in spec.env if k.endswith("KEY_ENCRYPTION_KEY")]
    assert found and devstack
    return found + devstack


def _production(**values: str) -> MailboxSettings:
    return MailboxSettings(environment="production", internal_credential="a-real-credential",
                           announcement_signing_key="s" * 43,
                           peer_announcement_public_key="A" * 43 + "=", kafka_password="a-real-kafka-password",
                           **values)


def test_production_refuses_every_development_kek() -> None:
    for kek in [*_published_keks(), b64(b"k" * 32), "x" * 43, b64(bytes(range(8)) * 4)]:
        with pytest.raises(ValueError, match="development key-encryption key"):
            _production(key_encryption_key=kek)
        with pytest.raises(ValueError, match="development key-encryption key"):
            _production(key_encryption_key=b64(os.urandom(32)),
                        previous_key_encryption_keys=f"1={kek}")
        MailboxSettings(environment="development", key_encryption_key=kek)  # fine there


def test_production_takes_a_random_kek_with_its_versions() -> None:
    old, new = os.urandom(32), os.urandom(32)
    settings = _production(key_encryption_key=b64(new), key_encryption_key_version="2",
                           previous_key_encryption_keys=f"1={b64(old)}")
    wrapper = settings.key_wrapper()
    assert wrapper.version == "2"
    assert wrapper.unwrap("k", KeyWrapper(old, "1").wrap("k", b"x")) == b"x"
