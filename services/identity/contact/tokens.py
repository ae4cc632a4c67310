"""The rules of an address-verification token, pure (no I/O): a random single-use token, of
which only a hash is stored; it expires after a day, works once, and only for the address it
was made for (a newer address supersedes it)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

TTL = timedelta(hours=24)
TOKEN_BYTES = 32  # 256 bits: unguessable, so a fast hash (no argon2) is enough to store it
MAX_TOKEN_LENGTH = 100


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Verification:
    """A stored verification, as read back by its token's hash."""

    patient_id: str
    email: str
    expires_at: datetime
    used_at: datetime | None


class TokenRejected(Exception):
    """Why a token does not verify: code (machine-readable) and status (409 or 422)."""

    def __init__(self, code: str, status: int, message_en: str, message_sv: str) -> None:
        super().__init__(code)
        self.code, self.status = code, status
        self.message_en, self.message_sv = message_en, message_sv

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message_en": self.message_en, "message_sv": self.message_sv}


UNKNOWN = ("invalid_token", 422, "The link is not valid. Check that it was copied whole.",
           "Länken är inte giltig. Kontrollera att hela länken kom med.")
USED = ("token_used", 409, "This link has already been used.", "Länken har redan använts.")
EXPIRED = ("token_expired", 409, ("The link has expired. Save your address again to get a new "
           "one."), "Länken har slutat gälla. Spara din adress igen för att få en ny.")
SUPERSEDED = ("token_superseded", 409, ("Your e-mail address has changed since this link was "
              "sent. Use the link in the latest e-mail."),
              ("Din e-postadress har ändrats sedan länken skickades. Använd länken i det "
              "senaste e-postmeddelandet."))


def check(found: Verification | None, *, patient_id: str, current_email: str | None,
          now: datetime) -> None:
    """Raises TokenRejected unless the token verifies `current_email` for this patient now.
    Someone else's token is reported as unknown, so it tells nothing about that person."""
    if found is None or found.patient_id != patient_id:
        raise TokenRejected(*UNKNOWN)
    if found.used_at is not None:
        raise TokenRejected(*USED)
    if now >= found.expires_at:
        raise TokenRejected(*EXPIRED)
    if current_email is None or found.email.casefold() != current_email.casefold():
        raise TokenRejected(*SUPERSEDED)
