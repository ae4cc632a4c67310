"""Swedish personnummer and samordningsnummer: parsing, validation and normalization.

Accepted forms: `YYYYMMDDNNNC`, `YYYYMMDD-NNNC`, `YYMMDDNNNC`, `YYMMDD-NNNC`, `YYMMDD+NNNC`.
In the 10-digit form the century follows from a reference date (default: today): `-` (or
no separator) means the person is under 100 years old on that date, `+` that they are 100
or older. A samordningsnummer has 60 added to the day of birth. The last digit is a Luhn
check digit over the 10-digit form. Pure: no I/O, no logging."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_FORM = re.compile(r"^(\d{6}|\d{8})([-+]?)(\d{4})$", re.ASCII)
SAMORDNING_OFFSET = 60


class InvalidPersonnummer(ValueError):
    """What is wrong with a number: a machine `code` and messages in Swedish and English.
    The number itself is never part of the message (messages end up in responses and logs)."""

    def __init__(self, code: str, sv: str, en: str) -> None:
        super().__init__(en)
        self.code, self.sv, self.en = code, sv, en

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message_sv": self.sv, "message_en": self.en}


def _format_error(sv: str, en: str) -> InvalidPersonnummer:
    return InvalidPersonnummer("format", sv, en)


@dataclass(frozen=True)
class Personnummer:
    value: str  # 12 digits, YYYYMMDDNNNC (day + 60 for a samordningsnummer)
    samordningsnummer: bool

    @property
    def birth_date(self) -> date:
        day = int(self.value[6:8]) - (SAMORDNING_OFFSET if self.samordningsnummer else 0)
        return date(int(self.value[:4]), int(self.value[4:6]), day)

    def __str__(self) -> str:
        return f"{self.value[:8]}-{self.value[8:]}"

    def short(self, today: date | None = None) -> str:
        """The 10-digit form with the separator that is right on `today`."""
        today = today or date.today()
        sep = "+" if _age(self.birth_date, today) >= 100 else "-"
        return f"{self.value[2:8]}{sep}{self.value[8:]}"


def luhn_valid(ten_digits: str) -> bool:
    """The Luhn check over the 10-digit form (YYMMDDNNNC), as Skatteverket computes it."""
    return len(ten_digits) == 10 and ten_digits.isdigit() and _luhn_sum(ten_digits) % 10 == 0


def check_digit(nine_digits: str) -> int:
    """The digit that makes `nine_digits` + digit pass the Luhn check."""
    return (10 - _luhn_sum(nine_digits + "0") % 10) % 10


def _luhn_sum(digits: str) -> int:
    total = 0
    for i, char in enumerate(digits):
        n = int(char) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def parse(text: str, today: date | None = None) -> Personnummer:
    """A valid personnummer or samordningsnummer, or InvalidPersonnummer saying why not."""
    today = today or date.today()
    match = _FORM.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise _format_error(
            "Ange personnumret som ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN (10 eller 12 siffror).",
            "Give the personnummer as YYYYMMDD-NNNN or YYMMDD-NNNN (10 or 12 digits).")
    head, sep, tail = match.groups()
    if len(head) == 8 and sep == "+":
        raise _format_error("Plustecken används bara i den tiosiffriga formen.",
                            "The + separator belongs only to the 10-digit form.")
    month, raw_day = int(head[-4:-2]), int(head[-2:])
    samordning = raw_day > SAMORDNING_OFFSET
    day = raw_day - SAMORDNING_OFFSET if samordning else raw_day
    year = int(head[:4]) if len(head) == 8 else _century(int(head[:2]), month, day, sep, today)
    try:
        born = date(year, month, day)
    except ValueError:
        raise InvalidPersonnummer("date", "Födelsedatumet i numret finns inte.",
                                  "The date of birth in the number does not exist.") from None
    if born > today:
        raise InvalidPersonnummer("date", "Födelsedatumet ligger i framtiden.",
                                  "The date of birth is in the future.")
    digits = f"{year:04d}{head[-4:]}{tail}"
    if not luhn_valid(digits[2:]):
        raise InvalidPersonnummer("check_digit", "Kontrollsiffran stämmer inte.",
                                  "The check digit is wrong.")
    return Personnummer(digits, samordning)


def _century(yy: int, month: int, day: int, sep: str, today: date) -> int:
    """The birth year for a 2-digit year: under 100 years old on `today` for `-` or no
    separator, 100 or older for `+`. Compares (month, day) so 29 February needs no year."""
    year = today.year - (today.year - yy) % 100
    if (month, day) > (today.month, today.day) and year == today.year:
        year -= 100  # later this year would be in the future: born a century earlier
    return year - 100 if sep == "+" else year


def normalize(text: str, today: date | None = None) -> str:
    """The 12-digit form of a valid number (raises InvalidPersonnummer otherwise)."""
    return parse(text, today).value


def is_valid(text: str, today: date | None = None) -> bool:
    try:
        parse(text, today)
    except InvalidPersonnummer:
        return False
    return True
