"""identity's pure rules: personnummer checks and access-token claims."""

from datetime import UTC, datetime

import pytest

from services.identity import domain


@pytest.mark.parametrize("value", ["191212121212", "19121212-1212", "198112289874",
                                   "199001012385"])
def test_valid_personnummer_normalizes_to_12_digits(value: str) -> None:
    assert domain.normalize_personnummer(value) == value.replace("-", "")


@pytest.mark.parametrize("value", ["191212121213", "1212121213", "19121312-1212",
                                   "19380229-9820", "abcdefghijkl", "", "1912121212120"])
def test_invalid_personnummer_is_rejected(value: str) -> None:
    assert domain.normalize_personnummer(value) is None


NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_patient_claims() -> None:
    who = domain.patient_subject("p-123", loa=2)
    claims = domain.access_claims(who, issuer="http://127.0.0.1:8001", audience="forms",
                                  now=NOW, ttl_s=900, jti="j1")
    assert claims == {
        "iss": "http://127.0.0.1:8001", "sub": "p-123", "aud": "forms",
        "iat": int(NOW.timestamp()), "nbf": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 900, "jti": "j1", "kind": "patient", "loa": 2,
    }


def test_a_listed_patient_carries_the_unit_id() -> None:
    who = domain.patient_subject("p-123", listed_unit="SE-U1")
    claims = domain.access_claims(who, issuer="http://i", audience="patient-mailbox",
                                  now=NOW, ttl_s=900, jti="j1")
    assert claims["listed_unit"] == "SE-U1" and "units" not in claims


def test_staff_claims_carry_units_and_profession() -> None:
    who = domain.staff_subject("s-1", "nurse", {"SE-U1": ["clinician"], "SE-U2": ["auditor"]})
    claims = domain.access_claims(who, issuer="http://i", audience="careunit-mailbox",
                                  now=NOW, ttl_s=900, jti="j2")
    assert claims["kind"] == "staff" and claims["loa"] == 3
    assert claims["units"] == {"SE-U1": ["clinician"], "SE-U2": ["auditor"]}
    assert claims["profession"] == "nurse"


def test_unsupported_loa_is_refused() -> None:
    with pytest.raises(ValueError):
        domain.patient_subject("p-1", loa=1)


def test_one_audience_per_data_owning_service() -> None:
    assert set(domain.AUDIENCES) == {"patient-mailbox", "careunit-mailbox", "forms", "audit",
                                     "identity"}
