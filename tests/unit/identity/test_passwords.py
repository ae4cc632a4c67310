"""Password rules (length, character classes, common and breached patterns, personal data)
and argon2id hashing with a dummy hash for unknown accounts."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from services.identity import passwords
from services.identity.passwords import Hasher, check, common_passwords

PNR = "191212121212"
NAMES = ["Tolvan", "Tolvansson"]


def codes(password: str) -> set[str]:
    return {p.code for p in check(password, PNR, NAMES)}


@pytest.mark.parametrize("password", [
    "Blå hallon i december", "korvstoppning-Vandrar9", "Tjugo7Ekorrar!", "xK9#mQ2$vL8@",
    "ängsull och 4 getter",
])
def test_good_passwords_pass(password: str) -> None:
    assert codes(password) == set()


@pytest.mark.parametrize(("password", "expected"), [
    ("Kort1!", {"too_short"}),
    ("a" * 129 + "B", {"too_long"}),
    ("abcdefghijklmn", {"one_character_class"}),
    ("ABCDEFGHIJKLMN", {"one_character_class"}),
    ("83749201736", {"one_character_class"}),
    ("Password123!", {"common"}),
    ("P@ssw0rd2024", {"common"}),
    ("Lösenord2024!", {"common"}),
    ("losenord!!99", {"common"}),
    ("Sommar2026!!", {"common"}),
    ("qwertyuiop12", {"common"}),
    ("1234567890", {"common", "one_character_class"}),
    ("Mitt121212-1212", {"contains_personnummer"}),
    ("x1912121212y", {"contains_personnummer"}),
    ("Kanin1212121212!", {"contains_personnummer"}),  # the 10-digit form
    ("ABC121212xyz", {"contains_personnummer"}),  # date of birth YYMMDD
    ("tolvan-har-katt", {"contains_name"}),
    ("T0LVANSSON4ever", {"contains_name"}),  # l33t and case do not hide it
    ("Tolvan", {"too_short", "contains_name"}),
])
def test_weak_passwords_are_refused_with_reasons(password: str, expected: set[str]) -> None:
    assert codes(password) == expected


def test_every_problem_has_swedish_and_english_text() -> None:
    problems = check("tolvan", PNR, NAMES)
    assert problems
    for problem in problems:
        described = problem.as_dict()
        assert described["code"] and described["message_sv"] and described["message_en"]


def test_short_names_and_accents() -> None:
    assert passwords.personal_problems("Bo-och-Ek-gar-hem", PNR, ["Bo", "Ek"]) == []
    assert passwords.personal_problems("hejsan Åsa!", PNR, ["Åsa", "Öberg"]) == [passwords.NAME]
    assert passwords.personal_problems("ASA-grillar-9", PNR, ["Åsa"]) == [passwords.NAME]


def test_generic_rules_need_no_person() -> None:
    assert passwords.generic_problems("tolvan-har-katt") == []


def test_bundled_list_is_loaded_and_folded() -> None:
    common = common_passwords()
    assert len(common) > 150
    assert "losenord" in common and "password" in common
    assert all(word == word.lower() for word in common)


FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


async def test_hash_and_verify() -> None:
    hasher = Hasher(FAST)
    stored = await hasher.hash("Blå hallon i december")
    assert stored.startswith("$argon2id$")
    assert await hasher.verify(stored, "Blå hallon i december")
    assert not await hasher.verify(stored, "blå hallon i december")
    assert not await hasher.verify("not a hash", "x")


async def test_no_stored_hash_verifies_against_the_dummy_and_fails() -> None:
    hasher = Hasher(FAST)
    assert hasher.dummy.startswith("$argon2id$")
    assert not await hasher.verify(None, "anything")


def test_default_parameters_are_argon2id_rfc9106() -> None:
    hasher = Hasher()
    assert hasher.dummy.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert not hasher.needs_rehash(hasher.dummy)
    assert Hasher(FAST).needs_rehash(hasher.dummy)
