"""The kept-open SMTP connection, against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

import aiosmtplib
import pytest
from aiosmtpd.smtp import SMTP as SMTPServer

from services.notifier.mail import RECONNECTS, SmtpMailer
from services.notifier.settings import NotifierSettings


class Sink:
    """Records each mail with the connection (client port) it came on."""

    def __init__(self) -> None:
        self.mails: list[tuple[int, str]] = []
        self.protocols: list[SMTPServer] = []
        self.server: asyncio.Server | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls it by this name
        self.mails.append((session.peer[1], envelope.rcpt_tos[0]))
        return "250 OK"

    async def start(self, port: int = 0) -> int:
        def protocol() -> SMTPServer:
            self.protocols.append(SMTPServer(self, hostname="sink"))
            return self.protocols[-1]
        self.server = await asyncio.get_running_loop().create_server(protocol, "127.0.0.1", port)
        return self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Like the sink's process ending: listener and every open connection gone."""
        assert self.server is not None
        self.server.close()
        self.drop_connections()
        await self.server.wait_closed()

    def drop_connections(self) -> None:
        for p in self.protocols:
            if p.transport is not None:
                p.transport.close()
        self.protocols.clear()

    def connections(self) -> int:
        return len({port for port, _ in self.mails})


def mail(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", to, "s"
    message.set_content("x")
    return message


@pytest.fixture
async def sink():
    s = Sink()
    yield s
    if s.server is not None:
        await s.stop()


def mailer(port: int, **settings) -> SmtpMailer:
    return SmtpMailer(NotifierSettings(environment="test", smtp_host="127.0.0.1",
                                       smtp_port=port, smtp_start_tls=False, smtp_timeout_s=5,
                                       **settings))


async def test_mails_share_one_connection(sink):
    m = mailer(await sink.start())
    for i in range(3):
        await m.send(mail(f"p{i}@example.org"))
    await m.aclose()
    assert [to for _, to in sink.mails] == ["p0@example.org", "p1@example.org", "p2@example.org"]
    assert sink.connections() == 1


@pytest.mark.parametrize("client_noticed", [False, True])
async def test_a_connection_the_server_closed_is_replaced_and_the_mail_sent_once(
        sink, client_noticed):
    m = mailer(await sink.start())
    await m.send(mail("first@example.org"))
    sink.drop_connections()
    if client_noticed:  # else the close is found only when the next mail is sent on it
        # Until the client has seen the close (a fixed sleep failed once on a busy machine).
        for _ in range(500):
            if not m._smtp.is_connected:
                break
            await asyncio.sleep(0.01)
        assert not m._smtp.is_connected
    before = RECONNECTS._value.get()
    await m.send(mail("second@example.org"))
    await m.aclose()
    assert [to for _, to in sink.mails] == ["first@example.org", "second@example.org"]
    assert sink.connections() == 2
    assert RECONNECTS._value.get() - before == (0 if client_noticed else 1)


async def test_server_away_fails_the_attempt_then_mail_flows_again(sink):
    port = await sink.start()
    m = mailer(port)
    await m.send(mail("before@example.org"))
    await sink.stop()
    with pytest.raises((aiosmtplib.SMTPException, OSError)):
        await m.send(mail("during@example.org"))  # the sender retries it later
    with pytest.raises((aiosmtplib.SMTPException, OSError)):
        await m.send(mail("during@example.org"))  # no connection to reuse: fails at once
    await sink.start(port)
    await m.send(mail("after@example.org"))
    await m.aclose()
    assert [to for _, to in sink.mails] == ["before@example.org", "after@example.org"]


async def test_an_idle_connection_is_ended_before_the_next_mail(sink):
    m = mailer(await sink.start(), smtp_idle_close_s=0.05)
    await m.send(mail("a@example.org"))
    await asyncio.sleep(0.1)
    await m.send(mail("b@example.org"))
    await m.aclose()
    assert sink.connections() == 2
