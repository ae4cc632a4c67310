"""The mail sink's store: every accepted mail in memory and on disk (an .eml file with a .json
envelope beside each, reloaded at start), and the aiosmtpd handler that feeds it.

A mail is taken in as an SMTP server would: its envelope and raw bytes stored, its subject
read from the headers. Its text and HTML parts are parsed the first time someone reads it
(then kept): parsing with the standard library's modern policy took about 3 ms of CPU per
mail, more than the rest of taking it in, and most mail of a benchmark run is never read."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path
from typing import Any

log = logging.getLogger("devstack.mailsink")


def _subject(raw: bytes) -> str:
    """The decoded Subject, from the headers alone."""
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    value = headers.get("Subject")
    return str(make_header(decode_header(value))) if value else ""


def _text_parts(raw: bytes) -> tuple[str, str, str | None]:
    """(subject, text body, html body or None) of a raw RFC 5322 message."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    subject = str(msg.get("Subject", ""))
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    html_body = html_part.get_content() if html_part is not None else None
    if text_part is not None:
        body = text_part.get_content()
    elif html_body is not None:
        body = html_body
    else:
        payload = msg.get_payload(decode=True)
        body = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return subject, body, html_body


class MailStore:
    """Thread-safe: the SMTP server runs in its own thread, the HTTP server in the main one."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []
        self._raw: dict[str, bytes] = {}
        self._load()

    def _load(self) -> None:
        """Mail kept from an earlier run of the same stack (the dev stack keeps its data)."""
        loaded = []
        for meta_path in self.dir.glob("*.json"):
            eml = meta_path.with_suffix(".eml")
            try:
                meta = json.loads(meta_path.read_text())
                raw = eml.read_bytes()
            except (OSError, ValueError):
                continue
            loaded.append((meta, raw))
        loaded.sort(key=lambda m: (m[0].get("received_at", ""), m[0].get("seq", 0)))
        for meta, raw in loaded:
            self._messages.append(meta)
            self._raw[meta["id"]] = raw

    def add(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> dict[str, Any]:
        subject = _subject(raw)
        received = datetime.now(UTC)
        msg_id = uuid.uuid4().hex
        meta = {
            "id": msg_id,
            "mail_from": mail_from,
            "rcpt_tos": list(rcpt_tos),
            "subject": subject,
            "received_at": received.isoformat(),
            "size": len(raw),
        }
        stem = f"{received.strftime('%Y%m%dT%H%M%S%f')}-{msg_id}"
        with self._lock:
            meta["seq"] = len(self._messages)
            (self.dir / f"{stem}.eml").write_bytes(raw)
            (self.dir / f"{stem}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
            self._messages.append(meta)
            self._raw[msg_id] = raw
        log.info("mail %s from %s to %s: %s", msg_id, mail_from, ", ".join(rcpt_tos), subject)
        return meta

    def _read(self, meta: dict[str, Any]) -> dict[str, Any]:
        """The mail with its text and HTML parts, parsed on its first reading (the lock is
        held)."""
        if "body" not in meta:
            _, meta["body"], meta["html"] = _text_parts(self._raw[meta["id"]])
        return meta

    def list(self, to: str | None = None) -> list[dict[str, Any]]:
        want = to.lower() if to else None
        with self._lock:
            return [self._read(m) for m in self._messages
                    if want is None or any(r.lower() == want for r in m["rcpt_tos"])]

    def get(self, msg_id: str) -> tuple[dict[str, Any], bytes] | None:
        with self._lock:
            for m in self._messages:
                if m["id"] == msg_id:
                    return self._read(m), self._raw[msg_id]
        return None

    def clear(self) -> int:
        with self._lock:
            n = len(self._messages)
            self._messages.clear()
            self._raw.clear()
            for p in list(self.dir.glob("*.eml")) + list(self.dir.glob("*.json")):
                p.unlink(missing_ok=True)
        return n


class SinkHandler:
    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            self.store.add(envelope.mail_from or "", list(envelope.rcpt_tos), raw)
        except Exception:
            log.exception("could not store mail")
            return "451 Requested action aborted: local error in processing"
        return "250 Message accepted for delivery"
