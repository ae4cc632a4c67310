"""Reading catalogue files: LDIF (what HSA exports), CSV (one row per membership) and JSON
(the seed files' shape). Every reader returns a validated `Catalogue` or raises
`CatalogueError` naming the entry and the problem (never echoing personal data in bulk).

LDIF (RFC 2849, parsed by the `ldif` package; URL values are never fetched). Entries are
told apart by objectClass; other entries (organisations, containers) are skipped:

  hsaHealthCareUnit  hsaIdentity, ou (name), mail (functional address),
                     mvkRegion, mvkEService (one per e-service offered)
  hsaPerson          hsaIdentity, givenName, sn, mail, hsaStartDate, hsaEndDate, and the
                     profession as mvkProfession, or else paTitleCode (HSA's code of the
                     licensed profession, e.g. LK doctor, SJ nurse, PS psychologist)
  hsaCommission      a membership ("medarbetaruppdrag"): hsaCommissionMember (the person's
                     HSA-id), hsaHealthCareUnitMember (the unit's HSA-id), mvkRole (one per
                     role), hsaStartDate, hsaEndDate

  Dates are YYYY-MM-DD or GeneralizedTime (YYYYMMDDhhmmssZ; the date part is used).

CSV (UTF-8, header row): hsa_id, given_name, family_name, profession, email, valid_from,
valid_to, unit_id, roles (separated by ";"), membership_valid_from, membership_valid_to.
One row per membership; a person without memberships has one row with an empty unit_id.
CSV carries staff only: its units must exist already (or come from another file)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

import ldif
from pydantic import ValidationError

from services.identity.catalogue.model import (
    Catalogue,
    CatalogueError,
    CatalogueStaff,
    CatalogueUnit,
)

TITLE_CODES = {"LK": "doctor", "SJ": "nurse", "PS": "psychologist", "BM": "midwife",
               "FT": "physiotherapist", "AT": "occupational_therapist", "DT": "dietitian",
               "PT": "psychotherapist", "US": "assistant_nurse"}

CSV_COLUMNS = ("hsa_id", "given_name", "family_name", "profession", "email", "valid_from",
               "valid_to", "unit_id", "roles", "membership_valid_from", "membership_valid_to")


def read_catalogue(path: Path) -> Catalogue:
    readers: dict[str, Callable[[bytes], Catalogue]] = {
        ".ldif": parse_ldif, ".csv": parse_csv, ".json": parse_json}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise CatalogueError(f"{path.name}: unknown format (use .ldif, .csv or .json)")
    try:
        return reader(path.read_bytes())
    except CatalogueError as exc:
        raise CatalogueError(f"{path.name}: {exc}") from exc


def read_all(paths: Iterable[Path]) -> Catalogue:
    catalogue = Catalogue()
    for path in paths:
        catalogue = _checked(partial(catalogue.merged, read_catalogue(path)), "files")
    return catalogue


def _checked(build: Callable[[], Any], where: str) -> Any:
    try:
        return build()
    except CatalogueError:
        raise
    except ValidationError as exc:
        raise CatalogueError(f"{where}: {_summary(exc)}") from exc
    except ValueError as exc:  # model validators' own messages
        raise CatalogueError(f"{where}: {exc}") from exc


def build(units: list[Any], people: list[Any]) -> Catalogue:
    """Each entry validated on its own, so an error names the unit or person it is about."""
    def where(kind: str, raw: Any, key: str) -> str:
        return f"{kind} {raw.get(key) if isinstance(raw, dict) else '?'}"
    checked_units = [_checked(partial(CatalogueUnit.model_validate, u),
                              where("unit", u, "unit_id")) for u in units]
    checked_people = [_checked(partial(CatalogueStaff.model_validate, p),
                               where("person", p, "hsa_id")) for p in people]
    return _checked(partial(Catalogue, care_units=checked_units, staff=checked_people),
                    "catalogue")


def _summary(exc: ValidationError) -> str:
    """Field paths and error kinds (input values are personal data, so never echoed), plus
    the messages of this catalogue's own rules, which name ids only."""
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(map(str, error["loc"])) or "entry"
        what = error["msg"].removeprefix("Value error, ") if error["type"] == "value_error" \
            else error["type"]
        parts.append(f"{where}: {what}")
    return "; ".join(parts)


def parse_json(data: bytes) -> Catalogue:
    try:
        raw = json.loads(data)
    except json.JSONDecodeError as exc:
        raise CatalogueError(f"not JSON (line {exc.lineno})") from exc
    if not isinstance(raw, dict):
        raise CatalogueError("a JSON catalogue is an object with care_units and staff")
    return build(raw.get("care_units") or [], raw.get("staff") or [])


# LDIF ----------------------------------------------------------------------------------------

def _entries(data: bytes) -> list[tuple[str, dict[str, list[str]]]]:
    parser = ldif.LDIFParser(io.BytesIO(data), process_url_schemes=[], strict=True)
    try:
        records = list(parser.parse())
    except ValueError as exc:
        raise CatalogueError(f"malformed LDIF near line {parser.line_counter}: {exc}") from exc
    # Attribute names are case-insensitive in LDAP.
    return [(dn or "", {k.lower(): [v if isinstance(v, str) else v.decode(errors="replace")
                                    for v in vs] for k, vs in entry.items()})
            for dn, entry in records]


def _one(entry: dict[str, list[str]], name: str, dn: str, required: bool = True) -> str | None:
    values = entry.get(name.lower(), [])
    if len(values) > 1:
        raise CatalogueError(f"{dn}: {name} given {len(values)} times")
    if not values and required:
        raise CatalogueError(f"{dn}: {name} is missing")
    return values[0] or None if values else None  # an empty value (or unfetched URL) is none


def _date(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) >= 8 and value[:8].isdigit():  # GeneralizedTime
        return f"{value[:4]}-{value[4:6]}-{value[6:8]}"
    return value


def _classes(entry: dict[str, list[str]]) -> set[str]:
    return {c.lower() for c in entry.get("objectclass", [])}


def _ldif_unit(dn: str, e: dict[str, list[str]]) -> dict[str, Any]:
    return {"unit_id": _one(e, "hsaIdentity", dn), "name": _one(e, "ou", dn),
            "functional_email": _one(e, "mail", dn), "region": _one(e, "mvkRegion", dn),
            "services": e.get("mvkeservice", [])}


def _ldif_person(dn: str, e: dict[str, list[str]]) -> dict[str, Any]:
    profession = _one(e, "mvkProfession", dn, required=False)
    if profession is None:
        code = _one(e, "paTitleCode", dn, required=False)
        if code is None:
            raise CatalogueError(f"{dn}: neither mvkProfession nor paTitleCode is given")
        if code.upper() not in TITLE_CODES:
            raise CatalogueError(f"{dn}: unknown paTitleCode {code!r}")
        profession = TITLE_CODES[code.upper()]
    return {"hsa_id": _one(e, "hsaIdentity", dn), "given_name": _one(e, "givenName", dn),
            "family_name": _one(e, "sn", dn), "profession": profession,
            "email": _one(e, "mail", dn, required=False),
            "valid_from": _date(_one(e, "hsaStartDate", dn, required=False)),
            "valid_to": _date(_one(e, "hsaEndDate", dn, required=False)), "memberships": []}


def parse_ldif(data: bytes) -> Catalogue:
    units: list[dict[str, Any]] = []
    people: dict[str, dict[str, Any]] = {}
    commissions: list[tuple[str, dict[str, list[str]]]] = []
    for dn, entry in _entries(data):
        classes = _classes(entry)
        if "hsahealthcareunit" in classes:
            units.append(_ldif_unit(dn, entry))
        elif "hsaperson" in classes:
            person = _ldif_person(dn, entry)
            if person["hsa_id"] in people:
                raise CatalogueError(f"{dn}: HSA-id {person['hsa_id']} listed more than once")
            people[person["hsa_id"]] = person
        elif "hsacommission" in classes:
            commissions.append((dn, entry))
    for dn, entry in commissions:
        member = _one(entry, "hsaCommissionMember", dn)
        if member not in people:
            raise CatalogueError(f"{dn}: hsaCommissionMember {member} is not a person here")
        people[member]["memberships"].append({
            "unit_id": _one(entry, "hsaHealthCareUnitMember", dn),
            "roles": entry.get("mvkrole", []),
            "valid_from": _date(_one(entry, "hsaStartDate", dn, required=False)),
            "valid_to": _date(_one(entry, "hsaEndDate", dn, required=False))})
    return build(units, list(people.values()))


# CSV -----------------------------------------------------------------------------------------

_PERSON_COLUMNS = CSV_COLUMNS[:7]


def parse_csv(data: bytes) -> Catalogue:
    try:
        text = data.decode("utf-8-sig")  # spreadsheets like to add a byte-order mark
    except UnicodeDecodeError as exc:
        raise CatalogueError("CSV is not UTF-8") from exc
    rows = csv.DictReader(io.StringIO(text))
    missing = set(CSV_COLUMNS) - set(rows.fieldnames or [])
    if missing:
        raise CatalogueError(f"CSV lacks the columns {', '.join(sorted(missing))}")
    people: dict[str, dict[str, Any]] = {}
    for line, row in enumerate(rows, start=2):
        values = {k: (row.get(k) or "").strip() or None for k in CSV_COLUMNS}
        person = {k: values[k] for k in _PERSON_COLUMNS}
        hsa_id = person["hsa_id"] or f"<row {line}>"
        known = people.setdefault(hsa_id, {**person, "memberships": []})
        if {k: known[k] for k in _PERSON_COLUMNS} != person:
            raise CatalogueError(f"line {line}: {hsa_id}'s person columns differ from an "
                                 "earlier row")
        if values["unit_id"]:
            known["memberships"].append({
                "unit_id": values["unit_id"],
                "roles": [r.strip() for r in (values["roles"] or "").split(";") if r.strip()],
                "valid_from": values["membership_valid_from"],
                "valid_to": values["membership_valid_to"]})
    return build([], list(people.values()))
