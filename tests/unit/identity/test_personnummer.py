"""Personnummer and samordningsnummer: a table of valid and invalid numbers, and properties
over generated numbers (accepted and round-trip; any single-digit change rejected)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from services.identity import domain
from services.identity.patients.personnummer import (
    InvalidPersonnummer,
    Personnummer,
    check_digit,
    is_valid,
    luhn_valid,
    parse,
)

REF = date(2026, 1, 15)


@pytest.mark.parametrize(("text", "expected", "samordning"), [
    ("19121212-1212", "191212121212", False),  # Skatteverket's Tolvan Tolvansson
    ("191212121212", "191212121212", False),
    ("121212-1212", "201212121212", False),  # '-': under 100 on the reference date
    ("1212121212", "201212121212", False),  # no separator reads as '-'
    ("121212+1212", "191212121212", False),  # '+': 100 or older
    (" 19121212-1212 ", "191212121212", False),  # surrounding blanks are forgiven
    ("811228-9874", "198112289874", False),
    ("20030617-9847", "200306179847", False),
    ("701063-2391", "197010632391", True),  # samordningsnummer: day 3 + 60
    ("19701063-2391", "197010632391", True),
    ("000229-0005", "200002290005", False),  # 29 February of a leap year (2000)
    ("260115-0002", "202601150002", False),  # born on the reference date
    ("260116-0001", "192601160001", False),  # 100th birthday tomorrow: still '-' (2026 is
    ("260116+0001", "182601160001", False),  # future), and '+' means a century earlier
    ("260115+0002", "192601150002", False),  # exactly 100 today
])
def test_valid_numbers(text: str, expected: str, samordning: bool) -> None:
    number = parse(text, REF)
    assert number.value == expected
    assert number.samordningsnummer is samordning


def test_compatibility_wrapper_in_domain() -> None:
    assert domain.normalize_personnummer("121212+1212") == "191212121212"
    assert domain.normalize_personnummer("701063-2391") == "197010632391"
    assert domain.normalize_personnummer("121212+1213") is None
    assert domain.luhn_valid("1212121212")


@pytest.mark.parametrize(("text", "code"), [
    ("", "format"), ("abcdefghijkl", "format"), ("19121212_1212", "format"),
    ("1912121212120", "format"), ("12121212", "format"), ("19121212+1212", "format"),
    ("19121212--1212", "format"), ("١٩١٢١٢١٢١٢١٢", "format"),  # non-ASCII digits
    ("191212121213", "check_digit"), ("121212-1213", "check_digit"),
    ("19121312-1212", "date"), ("19380229-9820", "date"), ("19000229-0000", "date"),
    ("19120012-1212", "date"), ("19121200-1212", "date"), ("19121232-1212", "date"),
    ("19121260-0000", "date"),  # samordning day 0
    ("19121292-1212", "date"),  # samordning day 32
    ("20300101-0002", "date"),  # born after the reference date
    ("701063-2392", "check_digit"),
])
def test_invalid_numbers_say_what_is_wrong(text: str, code: str) -> None:
    with pytest.raises(InvalidPersonnummer) as caught:
        parse(text, REF)
    assert caught.value.code == code
    described = caught.value.as_dict()
    assert described["message_sv"] and described["message_en"]
    assert text.strip() == "" or text not in str(described)  # never echoes the number
    assert not is_valid(text, REF)
    assert domain.normalize_personnummer(text) is None


def test_not_a_string_is_a_format_error() -> None:
    with pytest.raises(InvalidPersonnummer) as caught:
        parse(191212121212, REF)  # type: ignore[arg-type]
    assert caught.value.code == "format"


def test_formats_and_birth_date() -> None:
    number = parse("701063-2391", REF)
    assert str(number) == "19701063-2391"
    assert number.birth_date == date(1970, 10, 3)
    assert number.short(REF) == "701063-2391"
    assert parse("121212+1212", REF).short(REF) == "121212+1212"


def test_luhn_helpers() -> None:
    assert luhn_valid("1212121212") and not luhn_valid("1212121213")
    assert not luhn_valid("121212121") and not luhn_valid("12121212ab")
    assert check_digit("121212121") == 2


# Properties ----------------------------------------------------------------------------------

@st.composite
def numbers(draw: st.DrawFn) -> tuple[Personnummer, date]:
    """A valid number and a reference date on or after its date of birth."""
    born = draw(st.dates(min_value=date(1860, 1, 1), max_value=date(2030, 12, 31)))
    today = draw(st.dates(min_value=born, max_value=born + timedelta(days=365 * 150)))
    samordning = draw(st.booleans())
    serial = draw(st.integers(min_value=0, max_value=999))
    day = born.day + (60 if samordning else 0)
    nine = f"{born.year % 100:02d}{born.month:02d}{day:02d}{serial:03d}"
    digits = f"{born.year // 100:02d}{nine}{check_digit(nine)}"
    return Personnummer(digits, samordning), today


@given(numbers())
def test_generated_numbers_are_accepted_in_every_form(case: tuple[Personnummer, date]) -> None:
    number, today = case
    for text in (number.value, str(number), number.short(today)):
        assert parse(text, today) == number
    if number.short(today)[6] == "-":
        assert parse(number.short(today).replace("-", ""), today) == number


@given(numbers())
def test_short_form_round_trips_and_marks_centenarians(case: tuple[Personnummer, date]
                                                       ) -> None:
    number, today = case
    short = number.short(today)
    age = today.year - number.birth_date.year - (
        (today.month, today.day) < (number.birth_date.month, number.birth_date.day))
    assert (short[6] == "+") == (age >= 100)
    assert parse(short, today).short(today) == short


@given(numbers(), st.integers(min_value=2, max_value=11), st.integers(min_value=1, max_value=9))
def test_changing_any_checked_digit_is_rejected(case: tuple[Personnummer, date], position: int,
                                                delta: int) -> None:
    number, today = case
    digits = list(number.value)
    digits[position] = str((int(digits[position]) + delta) % 10)
    with pytest.raises(InvalidPersonnummer):
        parse("".join(digits), today)


@given(numbers(), st.integers(min_value=2, max_value=10))
def test_swapping_adjacent_digits_is_rejected(case: tuple[Personnummer, date], position: int
                                              ) -> None:
    number, today = case
    pair = number.value[position:position + 2]
    assume(pair[0] != pair[1] and set(pair) != {"0", "9"})  # Luhn's one blind spot: 09 <-> 90
    swapped = number.value[:position] + pair[::-1] + number.value[position + 2:]
    with pytest.raises(InvalidPersonnummer):
        parse(swapped, today)


@given(st.text(max_size=20))
def test_arbitrary_text_is_either_valid_or_a_described_error(text: str) -> None:
    try:
        number = parse(text, REF)
    except InvalidPersonnummer as exc:
        assert exc.code in {"format", "date", "check_digit"}
    else:
        assert len(number.value) == 12 and number.value.isdigit()
