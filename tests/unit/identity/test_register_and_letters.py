"""The population register file (CSV/JSON parsing, protected identity drops the address,
errors that never echo content), the shipped test persons, activation codes and letters."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pypdf
import pytest

from services.identity.patients import activation, letters, register
from services.identity.patients.register import RegisterFileError, load_file, parse_rows
from services.identity.seed import SEED_DIR

POPULATION = load_file(SEED_DIR / "population_stockholm.csv")
ROW = {"personnummer": "19640512-9120", "given_name": "Brevia", "family_name": "Aktivsson",
       "care_of": "", "street": "Brevlådevägen 9", "postal_code": "123 47",
       "city": "Provköping", "protected_identity": "false"}


def pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_rows_are_normalized() -> None:
    [entry] = parse_rows([ROW | {"personnummer": "640512-9120"}])
    assert entry.personnummer == "196405129120" and not entry.samordningsnummer
    assert entry.care_of is None and entry.has_address


def test_protected_identity_never_keeps_an_address() -> None:
    [entry] = parse_rows([ROW | {"protected_identity": "true"}])
    assert entry.protected_identity
    assert (entry.care_of, entry.street, entry.postal_code, entry.city) == (None,) * 4
    assert not entry.has_address


def test_samordningsnummer_is_recognized() -> None:
    [entry] = parse_rows([ROW | {"personnummer": "701063-2391"}])
    assert entry.personnummer == "197010632391" and entry.samordningsnummer


def test_listing_is_a_unit_id_or_nothing() -> None:
    listed, unlisted, left_out = parse_rows([
        ROW | {"listed_unit": "SE2321000016-TEST1"},
        ROW | {"personnummer": "19121212-1212", "listed_unit": ""},
        {k: v for k, v in ROW.items()} | {"personnummer": "19811228-9874"}])
    assert listed.listed_unit == "SE2321000016-TEST1"
    assert unlisted.listed_unit is None and left_out.listed_unit is None
    with pytest.raises(RegisterFileError) as caught:
        parse_rows([ROW | {"listed_unit": "Vårdcentralen <Solna>"}])
    assert "listed_unit" in str(caught.value) and "Solna" not in str(caught.value)


def test_bad_rows_are_reported_by_row_without_their_content() -> None:
    rows = [ROW, ROW | {"personnummer": "19640512-9121"}, ROW | {"given_name": ""},
            ROW | {"extra": "x"}, ROW]
    with pytest.raises(RegisterFileError) as caught:
        parse_rows(rows)
    problems = caught.value.problems
    assert [p.split(":")[0] for p in problems] == ["row 2", "row 3", "row 4", "row 5"]
    assert "check digit" in problems[0] and "duplicate" in problems[3]
    assert "9121" not in str(caught.value) and "Brevia" not in str(caught.value)


def test_json_and_csv_read_alike(tmp_path: Path) -> None:
    as_json = tmp_path / "r.json"
    as_json.write_text(json.dumps({"_comment": "fictitious", "persons": [ROW]}))
    as_list = tmp_path / "l.json"
    as_list.write_text(json.dumps([ROW]))
    as_csv = tmp_path / "r.csv"
    as_csv.write_text(",".join(ROW) + "\n" + ",".join(ROW.values()) + "\n", encoding="utf-8")
    assert load_file(as_json) == load_file(as_list) == load_file(as_csv)


def test_cli_checks_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert register.main(["import", "--check", str(SEED_DIR / "population_stockholm.csv")]) == 0
    assert f"{len(POPULATION)} persons" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("personnummer,given_name,family_name\n19121212-1213,A,B\n")
    assert register.main(["import", "--check", str(bad)]) == 2
    assert "row 1" in capsys.readouterr().err


def test_shipped_persons_are_fictitious_and_varied() -> None:
    assert len(POPULATION) >= 12
    assert sum(e.protected_identity for e in POPULATION) >= 2
    assert any(e.samordningsnummer for e in POPULATION)
    assert any(e.personnummer.startswith("1920") for e in POPULATION)  # over 100: '+' form
    assert any(not e.protected_identity and not e.has_address for e in POPULATION)
    seed = json.loads((SEED_DIR / "stockholm.json").read_text())
    register_numbers = {e.personnummer for e in POPULATION}
    assert {p["personnummer"] for p in seed["patients"]} <= register_numbers
    # A few are listed at a care centre, always one of the region's units.
    listings = {e.listed_unit for e in POPULATION} - {None}
    assert listings and listings <= {u["unit_id"] for u in seed["care_units"]}
    assert next(e for e in POPULATION if e.personnummer == "191212121212"
                ).listed_unit == "SE2321000016-TEST1"


def test_activation_codes() -> None:
    codes = {activation.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 12 and set(c) <= set(activation.CODE_ALPHABET) for c in codes)
    assert activation.display_code("ABCDEFGHJKLM") == "ABCD-EFGH-JKLM"
    assert activation.normalize_code(" abcd-efgh jklm ") == "ABCDEFGHJKLM"


def letter(recipient: letters.Recipient) -> str:
    pdf = letters.activation_letter(recipient, "ABCD-EFGH-JKLM", expires=date(2026, 4, 1),
                                    today=date(2026, 3, 2), login_url="https://e.example/")
    assert pdf.startswith(b"%PDF")
    return pdf_text(pdf)


def test_letter_to_the_registered_address() -> None:
    text = letter(letters.Recipient("Brevia Aktivsson", ("Brevlådevägen 9", "123 47 Provköping")))
    for expected in ("Brevia Aktivsson", "Brevlådevägen 9", "123 47 Provköping",
                     "ABCD-EFGH-JKLM", "1 april 2026", "2 mars 2026", "https://e.example/"):
        assert expected in text


def test_letter_for_protected_identity_carries_no_address() -> None:
    text = letter(letters.Recipient("Hemlis Skyddadsson", (), forwarded_by_skatteverket=True,
                                    personnummer="19851030-9035"))
    assert "Hemlis Skyddadsson" in text and "Förmedlas av Skatteverket" in text
    assert "19851030-9035" in text  # Skatteverket forwards by personnummer
    assert "Hemliga" not in text and "999 99" not in text


def test_letter_names_outside_latin1_still_print() -> None:
    text = letter(letters.Recipient("Łukasz Dvořák", ("Gatan 1", "111 11 Stad")))
    assert "Lukasz Dvorák" in text
