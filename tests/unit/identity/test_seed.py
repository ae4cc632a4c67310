"""The committed seed data: fictitious, valid, and complete enough to run every workflow."""

from collections import Counter
from typing import get_args

from services.identity import domain
from services.identity.seed import load_seed
from shared.events.contracts import PatientRegistered, ServiceType, StaffRegistered

SEED = load_seed("stockholm.json")


def test_every_personnummer_has_a_valid_check_digit() -> None:
    assert len(SEED.patients) >= 6
    for patient in SEED.patients:
        assert domain.luhn_valid(patient.personnummer[2:]), patient.personnummer


def test_three_units_offering_every_e_service() -> None:
    assert len(SEED.care_units) == 3
    for unit in SEED.care_units:
        assert unit.region == "stockholm"
        assert set(unit.services) == set(get_args(ServiceType))
        assert unit.functional_email.endswith(".example")


def test_each_unit_has_an_administrator_three_clinicians_a_designer_and_an_auditor() -> None:
    for unit in SEED.care_units:
        roles = Counter(role for person in SEED.staff for m in person.memberships
                        if m.unit_id == unit.unit_id for role in m.roles)
        assert roles == {"message_administrator": 1, "clinician": 3, "auditor": 1,
                         "form_designer": 1}


def test_ids_are_unique_and_contacts_fictitious() -> None:
    hsa_ids = [s.hsa_id for s in SEED.staff]
    assert len(set(hsa_ids)) == len(hsa_ids)
    assert len({p.personnummer for p in SEED.patients}) == len(SEED.patients)
    assert all((p.email or "").endswith(".example") for p in SEED.patients + SEED.staff)


def test_registration_events_carry_no_personal_data() -> None:
    # Names, personnummer and e-mail stay in identity; events name people by pseudonym.
    personal = {"personnummer", "given_name", "family_name", "email", "hsa_id"}
    assert not personal & set(PatientRegistered.model_fields)
    assert not personal & set(StaffRegistered.model_fields)
