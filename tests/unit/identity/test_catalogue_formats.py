"""Reading staff catalogue files: LDIF as HSA exports it, CSV, the JSON seed shape, and the
files shipped for both regions."""

from __future__ import annotations

import base64
import io
from collections import Counter
from datetime import date
from pathlib import Path

import ldif
import pytest

from services.identity.catalogue.formats import (
    CSV_COLUMNS,
    parse_csv,
    parse_json,
    parse_ldif,
    read_all,
    read_catalogue,
)
from services.identity.catalogue.model import CatalogueError
from services.identity.seed import SEED_DIR, load_seed

UNIT = "SE2321000016-TEST1"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


PERSON = f"""version: 1
# a comment, then an organisation entry that is not ours to read
dn: o=Region Test,c=SE
objectClass: organization
o: Region Test

dn: hsaIdentity={UNIT},o=Region Test,c=SE
objectClass: organizationalUnit
objectClass: hsaHealthCareUnit
hsaIdentity: {UNIT}
ou:: {b64("Vårdcentralen Testsolna")}
mail: inkorg@vard.example
mvkRegion: stockholm
mvkEService: advice
mvkEService: renew_prescription

dn: hsaIdentity=SE2321000016-P001,o=Region Test,c=SE
objectClass: inetOrgPerson
objectClass: hsaPerson
hsaIdentity: SE2321000016-P001
givenName:: {b64("Åsa")}
SN: Läkartest-
 son
mail: p001@personal.vard.example
paTitleCode: LK
hsaStartDate: 20240101000000Z

dn: hsaIdentity=SE2321000016-P001-U1,hsaIdentity=SE2321000016-P001,o=Region Test,c=SE
objectClass: hsaCommission
hsaCommissionMember: SE2321000016-P001
hsaHealthCareUnitMember: {UNIT}
mvkRole: clinician
mvkRole: message_administrator
hsaEndDate: 2025-06-30
"""


def test_ldif_person_unit_and_commission() -> None:
    catalogue = parse_ldif(PERSON.replace("SN: Läkartest-", "SN: Lakartest-").encode())
    (unit,) = catalogue.care_units
    assert (unit.unit_id, unit.name, unit.region) == (UNIT, "Vårdcentralen Testsolna",
                                                      "stockholm")
    assert unit.services == ["advice", "renew_prescription"]
    (person,) = catalogue.staff
    # base64 values decoded, folded lines joined, attribute names case-insensitive
    assert (person.given_name, person.family_name) == ("Åsa", "Lakartest-son")
    assert person.profession == "doctor" and person.valid_from == date(2024, 1, 1)
    (membership,) = person.memberships
    assert membership.roles == ["clinician", "message_administrator"]
    assert membership.valid_to == date(2025, 6, 30) and membership.valid_from is None


def test_ldif_written_by_a_writer_reads_back() -> None:
    out = io.BytesIO()
    writer = ldif.LDIFWriter(out)
    writer.unparse("hsaIdentity=SE2321000016-P002,c=SE", {
        "objectClass": ["hsaPerson"], "hsaIdentity": ["SE2321000016-P002"],
        "givenName": ["Örjan"], "sn": ["Ekström"], "mvkProfession": ["medical_secretary"]})
    (person,) = parse_ldif(out.getvalue()).staff
    assert (person.given_name, person.profession) == ("Örjan", "medical_secretary")


@pytest.mark.parametrize(("change", "complaint"), [
    (("paTitleCode: LK", "paTitleCode: XX"), "unknown paTitleCode"),
    (("paTitleCode: LK\n", ""), "neither mvkProfession nor paTitleCode"),
    (("mvkRole: clinician", "mvkRole: surgeon"), "roles"),
    (("hsaCommissionMember: SE2321000016-P001", "hsaCommissionMember: SE2321000016-P999"),
     "not a person here"),
    (("mvkRegion: stockholm\n", ""), "mvkRegion is missing"),
    (("hsaEndDate: 2025-06-30", "hsaEndDate: 2023-06-30\nhsaStartDate: 2024-01-01"),
     "valid_to is before valid_from"),
    (("mail: inkorg@vard.example", "mail: a@vard.example\nmail: b@vard.example"),
     "mail given 2 times"),
    (("SE2321000016-P001", "P001"), "person P001: hsa_id: string_pattern_mismatch"),
])
def test_ldif_errors_name_the_problem(change: tuple[str, str], complaint: str) -> None:
    with pytest.raises(CatalogueError, match=complaint):
        parse_ldif(PERSON.replace(*change).encode())  # str.replace: every occurrence


def test_malformed_ldif_is_a_catalogue_error() -> None:
    with pytest.raises(CatalogueError, match="malformed LDIF"):
        parse_ldif(b"objectClass: hsaPerson\nhsaIdentity: x\n")


def test_urls_in_ldif_are_never_fetched() -> None:
    text = PERSON.replace("mail: p001@personal.vard.example",
                          "mail:< file:///etc/passwd")
    (person,) = parse_ldif(text.encode()).staff
    assert person.email is None


def csv_text(*rows: dict) -> bytes:
    out = io.StringIO()
    out.write(",".join(CSV_COLUMNS) + "\n")
    for row in rows:
        out.write(",".join(row.get(c, "") for c in CSV_COLUMNS) + "\n")
    return out.getvalue().encode()


BASE = {"hsa_id": "SE2321000016-P003", "given_name": "Märta", "family_name": "Test",
        "profession": "nurse", "email": "p3@personal.vard.example"}


def test_csv_one_row_per_membership() -> None:
    data = csv_text({**BASE, "unit_id": UNIT, "roles": "clinician; auditor"},
                    {**BASE, "unit_id": "SE2321000016-TEST2", "roles": "clinician",
                     "membership_valid_to": "2030-01-01"},
                    {"hsa_id": "SE2321000016-P004", "given_name": "Bo", "family_name": "Tom",
                     "profession": "doctor", "valid_to": "2020-12-31"})
    first, second = parse_csv(b"\xef\xbb\xbf" + data).staff  # with a byte-order mark
    assert [m.roles for m in first.memberships] == [["clinician", "auditor"], ["clinician"]]
    assert first.memberships[1].valid_to == date(2030, 1, 1)
    assert second.memberships == [] and second.valid_to == date(2020, 12, 31)


def test_csv_rows_of_one_person_must_agree() -> None:
    data = csv_text({**BASE, "unit_id": UNIT, "roles": "clinician"},
                    {**BASE, "profession": "doctor", "unit_id": "SE2321000016-TEST2",
                     "roles": "clinician"})
    with pytest.raises(CatalogueError, match="line 3"):
        parse_csv(data)


def test_csv_needs_every_column() -> None:
    with pytest.raises(CatalogueError, match="lacks the columns"):
        parse_csv(b"hsa_id,given_name\nSE2321000016-P001,Anna\n")


def test_a_unit_twice_for_one_person_is_refused() -> None:
    data = csv_text({**BASE, "unit_id": UNIT, "roles": "clinician"},
                    {**BASE, "unit_id": UNIT, "roles": "auditor"})
    with pytest.raises(CatalogueError, match="listed twice"):
        parse_csv(data)


def test_json_reads_the_seed_shape_and_ignores_patients() -> None:
    catalogue = parse_json((SEED_DIR / "stockholm.json").read_bytes())
    assert len(catalogue.care_units) == 3 and len(catalogue.staff) == len(
        load_seed("stockholm.json").staff)


def test_files_combine_and_duplicates_across_files_are_refused(tmp_path: Path) -> None:
    extra = tmp_path / "extra.csv"
    extra.write_bytes(csv_text({**BASE, "unit_id": UNIT, "roles": "clinician"}))
    both = read_all([SEED_DIR / "stockholm.json", extra])
    assert BASE["hsa_id"] in {s.hsa_id for s in both.staff}
    with pytest.raises(CatalogueError, match="more than once"):
        read_all([extra, extra])


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "staff.xlsx"
    path.write_bytes(b"")
    with pytest.raises(CatalogueError, match="unknown format"):
        read_catalogue(path)


# the shipped catalogues ------------------------------------------------------------------

@pytest.mark.parametrize("region", ["stockholm", "vastra-gotaland"])
def test_each_region_ships_units_and_staff_of_its_own(region: str) -> None:
    seed = load_seed(f"{region}.json")
    catalogue = parse_json((SEED_DIR / f"{region}.json").read_bytes())
    if seed.catalogue:
        catalogue = catalogue.merged(read_catalogue(SEED_DIR / seed.catalogue))
    assert len(catalogue.care_units) >= 3
    assert {u.region for u in catalogue.care_units} == {region}
    units = {u.unit_id for u in catalogue.care_units}
    for unit in units:
        roles = Counter(r for s in catalogue.staff for m in s.memberships
                        if m.unit_id == unit and m.valid_to is None and s.valid_to is None
                        for r in m.roles)
        assert roles["message_administrator"] >= 1 and roles["clinician"] >= 1, unit
        assert roles["form_designer"] >= 1 and roles["auditor"] >= 1, unit
    assert {m.unit_id for s in catalogue.staff for m in s.memberships} <= units
    assert all((s.email or "").endswith(".example") for s in catalogue.staff)


def test_the_regions_do_not_share_ids() -> None:
    stockholm = parse_json((SEED_DIR / "stockholm.json").read_bytes())
    west = read_catalogue(SEED_DIR / "vastra-gotaland.ldif")
    assert not {s.hsa_id for s in stockholm.staff} & {s.hsa_id for s in west.staff}
    assert not {u.unit_id for u in stockholm.care_units} & {u.unit_id for u in west.care_units}


def test_the_west_catalogue_shows_every_kind_of_validity() -> None:
    west = {s.hsa_id: s for s in read_catalogue(SEED_DIR / "vastra-gotaland.ldif").staff}
    assert west["SE2321000131-V012"].valid_to is not None  # ended
    assert west["SE2321000131-V013"].valid_from is not None  # not yet started
    assert any(m.valid_to for m in west["SE2321000131-V014"].memberships)  # moved
