"""The rules of an address-verification token (services/identity/contact/tokens.py) and the
validation of what a patient may save."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.identity.contact import tokens
from services.identity.contact.api import ContactUpdate, VerifyToken

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def made(**changes) -> tokens.Verification:
    values = {"patient_id": "p1", "email": "Anna@Example.org",
              "expires_at": NOW + tokens.TTL, "used_at": None} | changes
    return tokens.Verification(**values)


def reason(found, *, patient_id="p1", current_email="anna@example.org", now=NOW):
    try:
        tokens.check(found, patient_id=patient_id, current_email=current_email, now=now)
    except tokens.TokenRejected as exc:
        return exc.code, exc.status
    return None


def test_tokens_are_random_long_and_stored_only_as_a_hash():
    a, b = tokens.new_token(), tokens.new_token()
    assert a != b and len(a) >= 40
    assert tokens.token_hash(a) == tokens.token_hash(a) != tokens.token_hash(b)
    assert a not in tokens.token_hash(a) and len(tokens.token_hash(a)) == 64


def test_a_fresh_token_verifies_its_own_address_whatever_its_case():
    assert reason(made()) is None
    assert reason(made(), now=NOW + tokens.TTL - timedelta(seconds=1)) is None


def test_unknown_and_someone_elses_tokens_look_the_same():
    assert reason(None) == ("invalid_token", 422)
    assert reason(made(patient_id="p2")) == ("invalid_token", 422)


def test_a_token_works_once():
    assert reason(made(used_at=NOW - timedelta(minutes=1))) == ("token_used", 409)


def test_a_token_expires_after_a_day():
    assert tokens.TTL == timedelta(hours=24)
    assert reason(made(), now=NOW + tokens.TTL) == ("token_expired", 409)


def test_a_newer_or_removed_address_supersedes_the_token():
    assert reason(made(), current_email="other@example.org") == ("token_superseded", 409)
    assert reason(made(), current_email=None) == ("token_superseded", 409)


def test_rejections_carry_a_reason_in_both_languages():
    with pytest.raises(tokens.TokenRejected) as caught:
        tokens.check(None, patient_id="p1", current_email=None, now=NOW)
    assert set(caught.value.as_dict()) == {"code", "message_en", "message_sv"}


def test_saved_addresses_are_validated_and_bounded_and_empty_means_none():
    assert ContactUpdate(email="  anna@example.org ").email == "anna@example.org"
    assert ContactUpdate(email="").email is None and ContactUpdate(email=None).email is None
    for bad in ("not-an-address", "a@b", "x" * 250 + "@example.org"):
        with pytest.raises(ValidationError):
            ContactUpdate(email=bad)
    with pytest.raises(ValidationError):
        ContactUpdate(email="a@example.org", notify={"answer": True, "sms": True})
    with pytest.raises(ValidationError):
        VerifyToken(token="t" * (tokens.MAX_TOKEN_LENGTH + 1))
