"""The e-mails: rendered from templates that have no slot for content or names (only the
login link), and sent with aiosmtplib over a kept-open connection."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import urlencode
from uuid import UUID

import aiosmtplib
import jinja2
from prometheus_client import Counter

from services.notifier.domain import RecipientKind, template_for
from services.notifier.settings import NotifierSettings

RECONNECTS = Counter("smtp_reconnects_total",
                     "Mails sent again at once because the kept SMTP connection had gone")
# The server closed the connection or never answered on it: nothing of the mail was taken.
_GONE = (aiosmtplib.SMTPServerDisconnected, ConnectionError)


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class OutgoingMail:
    """A mail composed to bytes (services.notifier.compose): envelope sender, recipient, and
    its bytes for the transfer encoding the server takes ("8bit" with 8BITMIME, else
    "7bit"), as aiosmtplib would flatten the same EmailMessage."""
    sender: str
    to: str
    data: Callable[[str], bytes]  # cte_type -> the mail


def template_env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("services.notifier", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,  # a missing value is a bug, not an empty string
    )


def verify_url(login_url: str, token: str | None) -> str | None:
    """The gateway's page that verifies an address with this token (None: no token)."""
    if token is None:
        return None
    return f"{login_url.rstrip('/')}/settings/verify?{urlencode({'token': token})}"


def render(env: jinja2.Environment, kind: RecipientKind, *, login_url: str,
           reason: str = "", verify_url: str | None = None) -> RenderedMail:
    """Each template file holds three blocks: subject, text and html."""
    template = env.get_template(template_for(kind, reason))
    context = template.new_context({"login_url": login_url, "verify_url": verify_url})
    parts = {name: "".join(template.blocks[name](context)).strip()
             for name in ("subject", "text", "html")}
    return RenderedMail(**parts)


def build_message(mail: RenderedMail, *, notification_id: UUID, sender: str, to: str,
                  domain: str = "mina-vardkontakter.example",
                  date: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = date or formatdate(localtime=False)
    # Stable per notification: a resend after a crash is recognisable as the same mail.
    message["Message-ID"] = f"<{notification_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


class SmtpMailer:
    """One SMTP connection kept open between mails (a session per mail cost a TCP connect,
    EHLO, maybe STARTTLS and login, and QUIT each time; the sender sends one mail at a time).

    Reconnects on demand: a connection idle for `smtp_idle_close_s` is ended first (servers
    drop idle clients after a few minutes, RFC 5321 4.5.3.2), and when a kept connection
    turns out closed by the server the mail is sent once more at once on a fresh one. The
    server never confirmed the mail on the dead connection, so this is the same resend the
    sender makes later after any failed attempt (same Message-ID), only sooner. Any failure
    drops the connection, so the next mail starts clean."""

    def __init__(self, settings: NotifierSettings) -> None:
        self._settings = settings
        self._smtp: aiosmtplib.SMTP | None = None
        self._last_used = 0.0
        self._lock = asyncio.Lock()  # one mail at a time on the connection

    async def send(self, message: EmailMessage | OutgoingMail) -> None:
        async with self._lock:
            reused = await self._drop_if_stale()
            try:
                await self._send(message)
            except _GONE:
                if not reused:
                    raise
                RECONNECTS.inc()
                await self._send(message)  # the kept connection had gone: once, fresh

    async def _send(self, message: EmailMessage | OutgoingMail) -> None:
        try:
            if self._smtp is None:
                self._smtp = self._client()
                await self._smtp.connect()
            if isinstance(message, EmailMessage):
                await self._smtp.send_message(message)
            else:
                await self._send_bytes(self._smtp, message)
        except BaseException:
            self.close()
            raise
        self._last_used = time.monotonic()

    @staticmethod
    async def _send_bytes(smtp: aiosmtplib.SMTP, mail: OutgoingMail) -> None:
        """What send_message does after flattening: greet if not yet done (the extensions
        decide the transfer encoding), then MAIL/RCPT/DATA. The addresses are ASCII (see
        compose), so no SMTPUTF8."""
        if smtp.is_ehlo_or_helo_needed:
            try:
                await smtp.ehlo()
            except aiosmtplib.SMTPHeloError:
                if not smtp.is_connected:
                    raise
                await smtp.helo()
        eight_bit = smtp.supports_extension("8BITMIME")
        await smtp.sendmail(mail.sender, [mail.to], mail.data("8bit" if eight_bit else "7bit"),
                            mail_options=["BODY=8BITMIME"] if eight_bit else [])

    async def _drop_if_stale(self) -> bool:
        """Whether the mail goes on a connection kept from an earlier one."""
        if self._smtp is None:
            return False
        if (not self._smtp.is_connected or
                time.monotonic() - self._last_used >= self._settings.smtp_idle_close_s):
            await self.aclose()
            return False
        return True

    def _client(self) -> aiosmtplib.SMTP:
        s = self._settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host, port=s.smtp_port, username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            start_tls=s.smtp_start_tls, timeout=s.smtp_timeout_s)

    def close(self) -> None:
        """Drops the connection without a word to the server (after a failure)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    async def aclose(self) -> None:
        """Ends the connection politely (QUIT), e.g. at shutdown or when it idled too long."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None and smtp.is_connected:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()  # it was going anyway
