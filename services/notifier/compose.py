"""Composing the mails cheaply. Every mail of one template is the same but for three header
lines (To, Date, Message-ID): building an EmailMessage and flattening it again for each
(header parsing and folding, MIME and quoted-printable encoding) was most of the sender's
CPU per mail. So each template's mail is built and flattened once, exactly as aiosmtplib
flattens an EmailMessage, and each mail is those bytes with its own three lines put in.

Only where the result is the same bytes: a recipient whose address is a plain ASCII
addr-spec that needs no encoding or folding. Any other address, and a verification mail
(its link differs per mail: the caller builds it with mail.build_message), goes the
ordinary way, as an EmailMessage."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formatdate
from functools import partial
from uuid import UUID

from aiosmtplib.email import extract_sender, flatten_message

from services.notifier.mail import OutgoingMail, RenderedMail, build_message

# RFC 5322 dot-atom local part and a plain domain: the header registry gives such an address
# back unchanged. Anything else (quotes, comments, non-ASCII) takes the ordinary way.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_MAX_LINE = 78  # the SMTP policy folds longer header lines
_MAX_MAILS = 16  # a handful of templates; more would mean a caller caching per-mail text
_PLACEHOLDER = UUID(int=0)
_PLACEHOLDER_TO = "to@placeholder.invalid"
_PLACEHOLDER_DATE = "Thu, 01 Jan 1970 00:00:00 -0000"


def _lines(to: str, date: str, notification_id: UUID, domain: str) -> bytes:
    return (f"To: {to}\r\nDate: {date}\r\nMessage-ID: <{notification_id}@{domain}>\r\n"
            .encode("ascii"))


class Composer:
    def __init__(self, *, sender: str, domain: str = "mina-vardkontakter.example") -> None:
        self._sender, self._domain = sender, domain
        envelope_sender = extract_sender(self._reference(RenderedMail("", "", "")))
        if envelope_sender is None:
            raise ValueError("the sender has no address")
        self._envelope_sender: str = envelope_sender
        # RenderedMail -> transfer encoding -> the flattened mail around its own lines
        self._frames: dict[RenderedMail, dict[str, tuple[bytes, bytes]]] = {}

    def compose(self, mail: RenderedMail, *, notification_id: UUID, to: str,
                date: str | None = None) -> OutgoingMail | EmailMessage:
        """The mail ready for SMTP; an EmailMessage (for the mailer to flatten) when the
        address is not one whose bytes this can vouch for."""
        date = date or formatdate(localtime=False)
        lines = _lines(to, date, notification_id, self._domain) if to.isascii() else b""
        if (not _PLAIN_ADDRESS.fullmatch(to)
                or max(map(len, lines.split(b"\r\n"))) > _MAX_LINE
                or (mail not in self._frames and len(self._frames) >= _MAX_MAILS)):
            return build_message(mail, notification_id=notification_id, sender=self._sender,
                                 to=to, domain=self._domain, date=date)
        frames = self._frames.setdefault(mail, {})
        return OutgoingMail(sender=self._envelope_sender, to=to,
                            data=partial(self._data, mail, frames, lines))

    def _data(self, mail: RenderedMail, frames: dict[str, tuple[bytes, bytes]], lines: bytes,
              cte_type: str) -> bytes:
        if (frame := frames.get(cte_type)) is None:
            reference = flatten_message(self._reference(mail), cte_type=cte_type)
            own = _lines(_PLACEHOLDER_TO, _PLACEHOLDER_DATE, _PLACEHOLDER, self._domain)
            head, found, tail = reference.partition(own)
            if not found or own in tail:
                raise RuntimeError("the mail's own header lines are not where expected")
            frame = frames[cte_type] = (head, tail)
        return frame[0] + lines + frame[1]

    def _reference(self, mail: RenderedMail) -> EmailMessage:
        return build_message(mail, notification_id=_PLACEHOLDER, sender=self._sender,
                             to=_PLACEHOLDER_TO, domain=self._domain, date=_PLACEHOLDER_DATE)
