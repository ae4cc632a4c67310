"""Mails composed from each template's bytes built once are the very bytes aiosmtplib makes
of the EmailMessage built for each mail (but for the MIME boundary, random either way), and
go out over SMTP as such; addresses it cannot vouch for take the ordinary way."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from email.message import EmailMessage
from email.utils import formatdate

import pytest
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtplib.email import flatten_message

from services.notifier.compose import Composer
from services.notifier.domain import REASON_TEMPLATES, REMINDER, VERIFICATION
from services.notifier.mail import OutgoingMail, SmtpMailer, build_message, render, template_env
from services.notifier.settings import NotifierSettings
from shared.ids import uuid7

SENDER = NotifierSettings(environment="test").mail_from  # non-ASCII display name
MAILS = [("care_unit", "messaging.message_received.v1"), ("care_unit", "messaging.message_overdue.v1"),
         ("patient", "messaging.reply_delivered.v1"), ("patient", REMINDER)]
PLAIN = ["p@example.org", "first.last+tag@sub.example.se", "o'neil_x-y@a-b.example",
         "a" * 40 + "@example.org"]


def unboundaried(data: bytes) -> bytes:
    found = re.search(rb'boundary="([^"]+)"', data)
    assert found is not None
    return data.replace(found.group(1), b"BOUNDARY")


def test_every_reason_has_a_case_here():
    assert {r for _, r in MAILS} >= set(REASON_TEMPLATES) - {VERIFICATION}


@pytest.mark.parametrize(("kind", "reason"), MAILS)
@pytest.mark.parametrize("cte_type", ["8bit", "7bit"])
def test_composed_bytes_are_those_of_the_built_message(kind, reason, cte_type):
    composer = Composer(sender=SENDER)
    mail = render(template_env(), kind, login_url="https://example.org/?a=1&b=2", reason=reason)
    date = formatdate(localtime=False)
    for to in PLAIN:
        nid = uuid7()
        composed = composer.compose(mail, notification_id=nid, to=to, date=date)
        assert isinstance(composed, OutgoingMail)
        assert (composed.sender, composed.to) == ("no-reply@mina-vardkontakter.example", to)
        built = build_message(mail, notification_id=nid, sender=SENDER, to=to, date=date)
        expected = flatten_message(built, cte_type=cte_type)
        assert unboundaried(composed.data(cte_type)) == unboundaried(expected)
        assert f"Message-ID: <{nid}@".encode() in expected


@pytest.mark.parametrize("to", ["Åsa@example.org", '"a b"@example.org', "Name <p@example.org>",
                                "p@exämple.org", "x" * 70 + "@example.org", "a..b@example.org",
                                "p@example.org\r\nBcc: q@example.org"])
def test_other_addresses_take_the_ordinary_way(to):
    mail = render(template_env(), "patient", login_url="https://example.org/")
    try:
        composed = Composer(sender=SENDER).compose(mail, notification_id=uuid7(), to=to)
    except ValueError:  # the email package refuses it outright (a line break in a header)
        return
    assert isinstance(composed, EmailMessage)


class Recorder:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's name
        self.envelopes.append(envelope)
        return "250 OK"


async def test_a_composed_mail_goes_out_over_smtp_as_composed():
    recorder = Recorder()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTPServer(recorder, hostname="sink"), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    mailer = SmtpMailer(NotifierSettings(environment="test", smtp_host="127.0.0.1",
                                         smtp_port=port, smtp_start_tls=False))
    mail = render(template_env(), "patient", login_url="https://example.org/")
    composer, nid = Composer(sender=SENDER), uuid7()
    composed = composer.compose(mail, notification_id=nid, to="p@example.org")
    assert isinstance(composed, OutgoingMail)
    try:
        await mailer.send(composed)
        await mailer.send(composer.compose(mail, notification_id=uuid7(), to="q@example.org"))
    finally:
        await mailer.aclose()
        server.close()
        await server.wait_closed()
    first = recorder.envelopes[0]
    assert (first.mail_from, first.rcpt_tos) == ("no-reply@mina-vardkontakter.example",
                                                 ["p@example.org"])
    assert "BODY=8BITMIME" in first.mail_options
    assert first.original_content.replace(b"\r\n", b"\n") == \
        composed.data("8bit").replace(b"\r\n", b"\n")
    received = email.message_from_bytes(first.original_content, policy=email.policy.default)
    assert received["Message-ID"] == f"<{nid}@mina-vardkontakter.example>"
    assert received["Subject"] == mail.subject
    assert [p.get_content().replace("\r\n", "\n").strip() for p in received.iter_parts()] == [
        mail.text, mail.html]
    assert [e.rcpt_tos for e in recorder.envelopes] == [["p@example.org"], ["q@example.org"]]
