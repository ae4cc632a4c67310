"""The few answer lists this service holds itself, so Questionnaires that refer to them by
canonical URL import without a terminology server: value sets published in the FHIR R4
specification (CC0) and LOINC answer list LL358-3 (the PHQ-9/GAD-7 frequency scale; LOINC is
free to use with its copyright notice). Any other external ValueSet is refused on import.
Entries are (system, code, English, Swedish or None)."""

from __future__ import annotations

from typing import Any

V2_0131 = "http://terminology.hl7.org/CodeSystem/v2-0131"
LOINC = "http://loinc.org"

_SETS: dict[str, list[tuple[str, str, str, str | None]]] = {
    "http://hl7.org/fhir/ValueSet/administrative-gender": [
        ("http://hl7.org/fhir/administrative-gender", c, en, sv) for c, en, sv in (
            ("male", "Male", "Man"), ("female", "Female", "Kvinna"),
            ("other", "Other", "Annat"), ("unknown", "Unknown", "Okänt"))],
    "http://hl7.org/fhir/ValueSet/yesnodontknow": [
        ("http://terminology.hl7.org/CodeSystem/v2-0136", "Y", "Yes", "Ja"),
        ("http://terminology.hl7.org/CodeSystem/v2-0136", "N", "No", "Nej"),
        ("http://terminology.hl7.org/CodeSystem/data-absent-reason", "asked-unknown",
         "Don't know", "Vet inte")],
    "http://hl7.org/fhir/ValueSet/patient-contactrelationship": [
        (V2_0131, c, en, None) for c, en in (
            ("BP", "Billing contact person"), ("C", "Emergency Contact"),
            ("CP", "Contact person"), ("E", "Employer"), ("EP", "Emergency contact person"),
            ("F", "Federal Agency"), ("I", "Insurance Company"), ("N", "Next-of-Kin"),
            ("O", "Other"), ("PR", "Person preparing referral"), ("S", "State Agency"),
            ("U", "Unknown"))],
    "http://loinc.org/vs/LL358-3": [
        (LOINC, c, en, sv) for c, en, sv in (
            ("LA6568-5", "Not at all", "Inte alls"), ("LA6569-3", "Several days", "Flera dagar"),
            ("LA6570-1", "More than half the days", "Mer än hälften av dagarna"),
            ("LA6571-9", "Nearly every day", "Nästan varje dag"))],
}


def known_value_set(url: str) -> dict[str, Any] | None:
    """The ValueSet (as an expansion, Swedish as a designation) for a canonical URL."""
    entries = _SETS.get(url.split("|")[0])
    if entries is None:
        return None
    contains = [{"system": system, "code": code, "display": en,
                 "designation": [{"language": "sv", "value": sv}] if sv else []}
                for system, code, en, sv in entries]
    return {"resourceType": "ValueSet", "url": url, "expansion": {"contains": contains}}
