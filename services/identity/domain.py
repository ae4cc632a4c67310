"""identity's pure rules: personnummer checks, who a logged-in person is, and the claims of
an access token. No I/O here, so the later OIDC provider reuses the same rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from services.identity.patients import personnummer
from shared.auth import LOA_EID, LOA_PASSWORD

# One token per service that owns data; each service accepts only its own audience.
AUDIENCES = ("patient-mailbox", "careunit-mailbox", "forms", "audit", "identity")

Kind = Literal["patient", "staff"]


def normalize_personnummer(value: str) -> str | None:
    """Compatibility wrapper: the 12-digit form of a valid personnummer or samordningsnummer
    (any form services.identity.patients.personnummer accepts), None otherwise."""
    try:
        return personnummer.normalize(value)
    except personnummer.InvalidPersonnummer:
        return None


luhn_valid = personnummer.luhn_valid


@dataclass(frozen=True)
class Subject:
    """An authenticated person, by pseudonym; what a token is issued for."""

    subject: str
    kind: Kind
    loa: int
    units: dict[str, list[str]] = field(default_factory=dict)  # staff: unit id -> roles
    profession: str | None = None
    listed_unit: str | None = None  # patients: the care unit they are listed at, if any


def patient_subject(patient_id: str, loa: int = LOA_EID,
                    listed_unit: str | None = None) -> Subject:
    if loa not in (LOA_PASSWORD, LOA_EID):
        raise ValueError(f"unsupported level of assurance {loa}")
    return Subject(subject=patient_id, kind="patient", loa=loa, listed_unit=listed_unit)


def staff_subject(staff_id: str, profession: str, units: dict[str, list[str]]) -> Subject:
    # Staff always authenticate strongly (e-ID, or password + TOTP later).
    return Subject(subject=staff_id, kind="staff", loa=LOA_EID, units=units,
                   profession=profession)


def access_claims(who: Subject, *, issuer: str, audience: str, now: datetime, ttl_s: int,
                  jti: str) -> dict[str, Any]:
    """Claims of a short-lived, audience-bound access token. Ids only: no name, no
    personnummer, no address, since tokens are readable by anyone holding them. A patient
    listed at a care unit carries its id (`listed_unit`), which the mailbox checks against
    services offered to listed patients only."""
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": issuer, "sub": who.subject, "aud": audience,
        "iat": issued, "nbf": issued, "exp": issued + ttl_s, "jti": jti,
        "kind": who.kind, "loa": who.loa,
    }
    if who.kind == "staff":
        claims["units"] = {unit: list(roles) for unit, roles in who.units.items()}
        claims["profession"] = who.profession
    elif who.listed_unit is not None:
        claims["listed_unit"] = who.listed_unit
    return claims
