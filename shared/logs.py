"""Structured JSON logging with the current correlation id.

Log calls pass identifiers only (event ids, conversation ids, pseudonymous ids); never a
body, a name or a personnummer. `extra` keys outside SAFE_FIELDS are dropped, so a
careless `extra={"body": ...}` cannot leak."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import traceback
from datetime import UTC, datetime

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None)

SAFE_FIELDS = frozenset({
    "event_id", "event_type", "conversation_id", "message_id", "reply_id", "topic",
    "partition", "offset", "consumer", "reason", "count", "attempt", "status", "path",
    "method", "duration_ms", "care_unit_id", "service", "error",
})


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if cid := correlation_id.get():
            entry["correlation_id"] = cid
        entry |= {k: v for k, v in record.__dict__.items() if k in SAFE_FIELDS}
        if record.exc_info:
            entry["exc"] = _exception_without_values(record.exc_info)
        return json.dumps(entry, default=str)


def _exception_without_values(exc_info) -> str:
    """Where it failed and what kind of error, never the error's message: messages carry
    values (SQL parameters, pydantic's input_value, a person's number in a lookup)."""
    kind, _, tb = exc_info
    frames = "".join(traceback.format_tb(tb)) if tb else ""
    return f"{frames}{kind.__module__}.{kind.__qualname__} (message withheld)"


def configure(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log would print query strings; we log requests ourselves.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    # httpx logs every outgoing request (with its URL) at INFO: per-request noise under load.
    logging.getLogger("httpx").setLevel(logging.WARNING)
