"""identity's pure rules: personnummer checks, who a logged-in person is, and the claims of
an access token. No I/O here, so the later OIDC provider reuses the same rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from shared.auth import LOA_EID, LOA_PASSWORD

# One token per service that owns data; each service accepts only its own audience.
AUDIENCES = ("patient-mailbox", "careunit-mailbox", "forms", "audit", "identity")

Kind = Literal["patient", "staff"]

_PNR = re.compile(r"^(\d{8})-?(\d{4})$")


def normalize_personnummer(value: str) -> str | None:
    """`YYYYMMDDNNNC` or `YYYYMMDD-NNNC` with a real date and a valid check digit, as 12
    digits; None otherwise."""
    match = _PNR.match(value.strip())
    if not match:
        return None
    digits = match.group(1) + match.group(2)
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
    return digits if luhn_valid(digits[2:]) else None


def luhn_valid(digits: str) -> bool:
    """The Luhn check over the 10-digit form (YYMMDDNNNC), as Skatteverket computes it."""
    total = 0
    for i, char in enumerate(digits):
        n = int(char) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


@dataclass(frozen=True)
class Subject:
    """An authenticated person, by pseudonym; what a token is issued for."""

    subject: str
    kind: Kind
    loa: int
    units: dict[str, list[str]] = field(default_factory=dict)  # staff: unit id -> roles
    profession: str | None = None


def patient_subject(patient_id: str, loa: int = LOA_EID) -> Subject:
    if loa not in (LOA_PASSWORD, LOA_EID):
        raise ValueError(f"unsupported level of assurance {loa}")
    return Subject(subject=patient_id, kind="patient", loa=loa)


def staff_subject(staff_id: str, profession: str, units: dict[str, list[str]]) -> Subject:
    # Staff always authenticate strongly (e-ID, or password + TOTP later).
    return Subject(subject=staff_id, kind="staff", loa=LOA_EID, units=units,
                   profession=profession)


def access_claims(who: Subject, *, issuer: str, audience: str, now: datetime, ttl_s: int,
                  jti: str) -> dict[str, Any]:
    """Claims of a short-lived, audience-bound access token. Ids only: no name, no
    personnummer, no address, since tokens are readable by anyone holding them."""
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": issuer, "sub": who.subject, "aud": audience,
        "iat": issued, "nbf": issued, "exp": issued + ttl_s, "jti": jti,
        "kind": who.kind, "loa": who.loa,
    }
    if who.kind == "staff":
        claims["units"] = {unit: list(roles) for unit, roles in who.units.items()}
        claims["profession"] = who.profession
    return claims
