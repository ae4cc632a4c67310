"""SMTP sink for local runs and tests: accepts every mail on 127.0.0.1 and keeps it (in memory
and as .eml files with a .json envelope beside each), with an HTTP API and a small web page to
read it.

    python -m devstack.mailsink --smtp-port 1025 --http-port 8025 --dir .devstack/mail

HTTP: GET /api/messages (JSON list, oldest first; ?to=<address> filters on recipient),
GET /api/messages/{id}, GET /api/messages/{id}/raw, DELETE /api/messages, GET / (HTML list),
GET /messages/{id} (HTML), GET /healthz."""

from __future__ import annotations

import argparse
import html
import json
import logging
import threading
import uuid
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

log = logging.getLogger("devstack.mailsink")


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
        subject, body, html_body = _text_parts(raw)
        received = datetime.now(UTC)
        msg_id = uuid.uuid4().hex
        meta = {
            "id": msg_id,
            "mail_from": mail_from,
            "rcpt_tos": list(rcpt_tos),
            "subject": subject,
            "body": body,
            "html": html_body,
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

    def list(self, to: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            items = list(self._messages)
        if to:
            want = to.lower()
            items = [m for m in items if any(r.lower() == want for r in m["rcpt_tos"])]
        return items

    def get(self, msg_id: str) -> tuple[dict[str, Any], bytes] | None:
        with self._lock:
            for m in self._messages:
                if m["id"] == msg_id:
                    return m, self._raw[msg_id]
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


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
 body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #1a1a1a; }}
 table {{ border-collapse: collapse; width: 100%; }}
 th, td {{ text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ccc; vertical-align: top; }}
 pre {{ white-space: pre-wrap; background: #f4f4f4; padding: 1rem; }}
 a {{ color: #0b57a4; }}
</style></head>
<body><main>{content}</main></body></html>"""


def create_app(store: MailStore):
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import HTMLResponse, PlainTextResponse

    app = FastAPI(title="devstack mail sink", docs_url=None, redoc_url=None)

    def public(m: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in m.items() if k != "seq"}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/messages")
    def messages(to: str | None = None) -> list[dict[str, Any]]:
        return [public(m) for m in store.list(to)]

    @app.get("/api/messages/{msg_id}")
    def message(msg_id: str) -> dict[str, Any]:
        found = store.get(msg_id)
        if found is None:
            raise HTTPException(404, "no such message")
        return public(found[0])

    @app.get("/api/messages/{msg_id}/raw", response_class=PlainTextResponse)
    def raw(msg_id: str) -> str:
        found = store.get(msg_id)
        if found is None:
            raise HTTPException(404, "no such message")
        return found[1].decode("utf-8", "replace")

    @app.delete("/api/messages")
    def clear() -> dict[str, int]:
        return {"deleted": store.clear()}

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        items = list(reversed(store.list()))  # newest first for people
        rows = "".join(
            '<tr><td>{t}</td><td>{f}</td><td>{to}</td><td><a href="/messages/{id}">{s}</a></td></tr>'.format(
                t=html.escape(m["received_at"][:19].replace("T", " ")),
                f=html.escape(m["mail_from"]),
                to=html.escape(", ".join(m["rcpt_tos"])),
                id=html.escape(m["id"]),
                s=html.escape(m["subject"] or "(no subject)"),
            )
            for m in items
        )
        table = (
            '<table><caption>Newest first. <a href="/">Refresh</a></caption>'
            '<thead><tr><th scope="col">Received (UTC)</th><th scope="col">From</th>'
            '<th scope="col">To</th><th scope="col">Subject</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
            if items
            else '<p>No mail yet. <a href="/">Refresh</a></p>'
        )
        count = f"{len(items)} message" + ("" if len(items) == 1 else "s")
        content = f"<h1>Mail sink ({count})</h1>{table}"
        return _PAGE.format(title="Mail sink", content=content)

    @app.get("/messages/{msg_id}", response_class=HTMLResponse)
    def show(msg_id: str) -> str:
        found = store.get(msg_id)
        if found is None:
            raise HTTPException(404, "no such message")
        m = found[0]
        content = (
            f'<p><a href="/">&larr; All mail</a></p><h1>{html.escape(m["subject"] or "(no subject)")}</h1>'
            f"<dl><dt>From</dt><dd>{html.escape(m['mail_from'])}</dd>"
            f"<dt>To</dt><dd>{html.escape(', '.join(m['rcpt_tos']))}</dd>"
            f"<dt>Received (UTC)</dt><dd>{html.escape(m['received_at'])}</dd></dl>"
            f"<pre>{html.escape(m['body'])}</pre>"
            f'<p><a href="/api/messages/{html.escape(m["id"])}/raw">Raw message</a></p>'
        )
        return _PAGE.format(title=f"Mail: {html.escape(m['subject'] or '')}", content=content)

    return app


def run(smtp_port: int, http_port: int, directory: Path, host: str = "127.0.0.1") -> None:
    import uvicorn
    from aiosmtpd.controller import Controller

    store = MailStore(directory)
    controller = Controller(
        SinkHandler(store),
        hostname=host,
        port=smtp_port,
        enable_SMTPUTF8=True,
        server_hostname="mailsink.local",
        ready_timeout=10,
    )
    controller.start()
    log.info(
        "SMTP sink on %s:%d, web UI on http://%s:%d/ (mail kept in %s)",
        host,
        smtp_port,
        host,
        http_port,
        directory,
    )
    try:
        config = uvicorn.Config(
            create_app(store), host=host, port=http_port, log_level="warning", access_log=False
        )
        uvicorn.Server(config).run()  # returns on SIGINT/SIGTERM
    finally:
        controller.stop()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m devstack.mailsink", description=__doc__.split("\n")[0]
    )
    p.add_argument("--smtp-port", type=int, default=1025)
    p.add_argument("--http-port", type=int, default=8025)
    p.add_argument("--dir", type=Path, default=Path(".devstack/mail"))
    p.add_argument("--host", default="127.0.0.1")
    args = p.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # one line per connection otherwise
    run(args.smtp_port, args.http_port, args.dir, args.host)


if __name__ == "__main__":
    main()
