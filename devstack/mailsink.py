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
import logging
from pathlib import Path
from typing import Any

from devstack.mailstore import MailStore, SinkHandler

log = logging.getLogger("devstack.mailsink")


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
