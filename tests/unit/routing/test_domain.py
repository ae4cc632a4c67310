from services.routing.domain import (
    Routed,
    Unroutable,
    decide,
    directory_entry,
    with_offered_services,
)
from shared.events import decode_data
from tests.unit.routing.helpers import registration, services_changed, submission


def entry(services=("advice",), active=True):
    return {"services": list(services), "region": "stockholm", "active": active}


def test_routes_to_a_unit_offering_the_service():
    data = decode_data(submission())
    decision = decide(data, entry())
    assert isinstance(decision, Routed)
    routed = decision.event
    assert (routed.conversation_id, routed.message_id, routed.patient_id, routed.care_unit_id) \
        == ("conv-1", "msg-1", "pat-1", "unit-1")
    assert routed.sealed_body == data.sealed_body
    assert routed.submitted_at == data.submitted_at


def test_unknown_unit_is_unroutable():
    decision = decide(decode_data(submission()), None)
    assert isinstance(decision, Unroutable)
    assert decision.event.reason == "unknown care unit"


def test_service_not_offered_is_unroutable():
    decision = decide(decode_data(submission(service="renew_prescription")), entry())
    assert isinstance(decision, Unroutable)
    assert "renew_prescription" in decision.event.reason


def test_inactive_unit_is_unroutable():
    assert isinstance(decide(decode_data(submission()), entry(active=False)), Unroutable)


def test_directory_entry_keeps_no_name_or_address():
    value = directory_entry(decode_data(registration(services=("advice", "book_appointment"))))
    assert value == {"services": ["advice", "book_appointment"], "region": "stockholm",
                     "active": True, "offered": None, "offered_at": None}


def test_forms_snapshot_decides_what_is_offered():
    entry = directory_entry(decode_data(registration(services=("advice",))))
    entry = with_offered_services(decode_data(services_changed(("renew_prescription",))), entry)
    assert isinstance(decide(decode_data(submission(service="renew_prescription")), entry),
                      Routed)
    assert isinstance(decide(decode_data(submission(service="advice")), entry), Unroutable)


def test_snapshot_before_registration_is_kept_but_inactive_until_registered():
    early = with_offered_services(decode_data(services_changed(("advice",))), None)
    assert isinstance(decide(decode_data(submission()), early), Unroutable)
    registered = directory_entry(decode_data(registration(services=())), early)
    assert isinstance(decide(decode_data(submission()), registered), Routed)


def test_an_older_snapshot_does_not_roll_the_offer_back():
    newer = with_offered_services(decode_data(services_changed(("advice",), minute=5)), None)
    older = decode_data(services_changed(("book_appointment",), minute=1))
    assert with_offered_services(older, newer) is None
