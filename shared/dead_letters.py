"""The dead-letter record every consumer writes (the inbox consumer and faust agents alike),
and the summary of a validation error that it may carry."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from pydantic import ValidationError


def dead_letter_value(*, consumer: str, reason: str, topic: str, partition: int, offset: int,
                      key: bytes | None, value: bytes | None) -> bytes:
    """The dead-letter record every consumer writes (also non-inbox ones such as faust agents),
    so operators read one shape whatever the consumer."""
    return json.dumps({
        "consumer": consumer, "reason": reason, "topic": topic,
        "partition": partition, "offset": offset,
        "failed_at": datetime.now(UTC).isoformat(),
        "key": key.decode(errors="replace") if key else None,
        "value_b64": base64.b64encode(value or b"").decode(),
    }).encode()


def validation_summary(exc: ValidationError) -> str:
    """Field paths and error kinds only: input values may be sensitive, so never echoed."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['type']}"
                     for e in exc.errors()[:5])

