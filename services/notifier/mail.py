"""The e-mails: rendered from templates that have no slot for content or names (only the
login link), and sent with aiosmtplib."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import urlencode
from uuid import UUID

import aiosmtplib
import jinja2

from services.notifier.domain import RecipientKind, template_for
from services.notifier.settings import NotifierSettings


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


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
                  domain: str = "mina-vardkontakter.example") -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    # Stable per notification: a resend after a crash is recognisable as the same mail.
    message["Message-ID"] = f"<{notification_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


class SmtpMailer:
    def __init__(self, settings: NotifierSettings) -> None:
        self._settings = settings

    async def send(self, message: EmailMessage) -> None:
        s = self._settings
        await aiosmtplib.send(
            message, hostname=s.smtp_host, port=s.smtp_port, username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            start_tls=s.smtp_start_tls, timeout=s.smtp_timeout_s)
