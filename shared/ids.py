"""Identifiers: UUIDv7 (time-ordered) for events and aggregates.

Python 3.11's uuid module has no uuid7; the layout follows RFC 9562 section 5.7."""

from __future__ import annotations

import hashlib
import os
import time
import uuid


def _v7(unix_ms: int, rand: bytes) -> uuid.UUID:
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= int.from_bytes(rand[:10], "big") & ((1 << 80) - 1)
    value &= ~(0xF << 76)
    value |= 0x7 << 76  # version
    value &= ~(0x3 << 62)
    value |= 0x2 << 62  # RFC 4122 variant
    return uuid.UUID(int=value)


def uuid7() -> uuid.UUID:
    return _v7(time.time_ns() // 1_000_000, os.urandom(10))


def derived_uuid7(cause: uuid.UUID, purpose: str) -> uuid.UUID:
    """A UUIDv7 determined by (cause, purpose): a consumer that re-processes the same input
    event emits an event with the same id, so downstream inboxes see it as a duplicate."""
    unix_ms = cause.int >> 80 if cause.version == 7 else time.time_ns() // 1_000_000
    return _v7(unix_ms, hashlib.sha256(cause.bytes + purpose.encode()).digest())
