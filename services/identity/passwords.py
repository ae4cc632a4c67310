"""Patient passwords: the rules a new password must meet, and argon2id hashing.

Rules (each failure is a coded problem with a Swedish and an English message): at least
MIN_LENGTH characters, at least two character classes, not a common or breached password or
one dressed up with digits, symbols or l33t spelling, and not containing the person's
personnummer, date of birth or name. Verification always runs exactly one argon2 verify, so
an unknown account (checked against DUMMY) costs the same time as a wrong password."""

from __future__ import annotations

import asyncio
import re
import secrets
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.identity.hash_budget import HashBudget

MIN_LENGTH = 10
MAX_LENGTH = 128  # bounds the hashing work an attacker can ask for
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
_LEET = str.maketrans("0134578@$!|", "oleastbasil")
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@dataclass(frozen=True)
class PasswordProblem:
    code: str
    sv: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message_sv": self.sv, "message_en": self.en}


TOO_SHORT = PasswordProblem("too_short", f"Lösenordet måste ha minst {MIN_LENGTH} tecken.",
                            f"The password must have at least {MIN_LENGTH} characters.")
TOO_LONG = PasswordProblem("too_long", f"Lösenordet får ha högst {MAX_LENGTH} tecken.",
                           f"The password may have at most {MAX_LENGTH} characters.")
ONE_CLASS = PasswordProblem(
    "one_character_class",
    "Blanda minst två sorters tecken: små bokstäver, stora bokstäver, siffror, andra tecken.",
    "Mix at least two kinds of characters: lower case, upper case, digits, other characters.")
COMMON = PasswordProblem("common", "Lösenordet är för vanligt och lätt att gissa.",
                         "The password is too common and easy to guess.")
PERSONNUMMER = PasswordProblem(
    "contains_personnummer", "Lösenordet får inte innehålla ditt personnummer eller födelsedatum.",
    "The password must not contain your personnummer or date of birth.")
NAME = PasswordProblem("contains_name", "Lösenordet får inte innehålla ditt namn.",
                       "The password must not contain your name.")


@cache
def common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(_fold(line) for line in lines if line.strip() and not line.startswith("#"))


def _fold(text: str) -> str:
    """Lower case without accents or blanks: 'Lösen Ord' and 'losenord' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c) and not c.isspace())


def _classes(password: str) -> int:
    kinds = (str.islower, str.isupper, str.isdigit)
    found = {i for c in password for i, kind in enumerate(kinds) if kind(c)}
    return len(found) + any(not (c.islower() or c.isupper() or c.isdigit()) for c in password)


def _is_common(password: str) -> bool:
    folded = _fold(password)
    base = _EDGES.sub("", folded)
    candidates = {folded, base, base.translate(_LEET), folded.translate(_LEET)}
    return bool(candidates & common_passwords())


def generic_problems(password: str) -> list[PasswordProblem]:
    """Problems that depend on the password alone (safe to report before anyone is known)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        problems.append(TOO_LONG)
    if _classes(password) < 2:
        problems.append(ONE_CLASS)
    if _is_common(password):
        problems.append(COMMON)
    return problems


def personal_problems(password: str, personnummer: str, names: list[str]) -> list[PasswordProblem]:
    """Problems that need the person: their 12-digit personnummer and names."""
    digits = re.sub(r"\D", "", password)
    problems = []
    if any(part in digits for part in (personnummer[2:], personnummer[:8], personnummer[2:8])):
        problems.append(PERSONNUMMER)
    folded = _fold(password).translate(_LEET)
    if any(len(n) >= 3 and _fold(n) in folded for name in names for n in re.split(r"[\s-]+", name)):
        problems.append(NAME)
    return problems


def check(password: str, personnummer: str, names: list[str]) -> list[PasswordProblem]:
    return generic_problems(password) + personal_problems(password, personnummer, names)


class Hasher:
    """argon2id (argon2-cffi's RFC 9106 defaults unless told otherwise), run off the event
    loop within the memory budget (hash_budget.py: raises HashingBusy when it is full), with a
    dummy hash to verify against when there is no real one."""

    def __init__(self, hasher: PasswordHasher | None = None,
                 budget: HashBudget | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self.budget = budget or HashBudget(self._hasher.memory_cost * 4,
                                           self._hasher.memory_cost, wait_s=1.0)
        self.dummy = self._hasher.hash(secrets.token_urlsafe(24))

    async def hash(self, secret: str) -> str:
        async with self.budget.slot():
            return await asyncio.to_thread(self._hasher.hash, secret)

    async def verify(self, stored: str | None, secret: str) -> bool:
        """True if `secret` matches `stored`; with None, the same work against the dummy."""
        async with self.budget.slot():
            try:
                return await asyncio.to_thread(self._hasher.verify, stored or self.dummy,
                                               secret) and stored is not None
            except (VerificationError, InvalidHashError):
                return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)
