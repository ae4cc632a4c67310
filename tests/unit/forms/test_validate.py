"""Answer validation per item type, per structural rule, with messages in both languages."""

import pytest

from devstack.form_samples import ans, code, grp, response, s
from services.forms.domain.validate import validate_response
from services.forms.library.builder import IMAGES_AND_PDF, display
from tests.unit.forms.helpers import form, group, q, when, yes_no

N = ("Din fråga", "Your question")


def codes(definition, *items, lang="sv", **kw) -> list[str]:
    return [e.code for e in validate_response(definition, response(*items), lang=lang, **kw)]


@pytest.mark.parametrize("type_, extra, good, bad", [
    ("string", {"max_length": 5}, s("hej"), [s("a\nb"), s("sexton"), {"valueInteger": 1}]),
    ("text", {"max_length": 8}, s("rad\nrad"), [s("för lång text"), {"valueBoolean": True}]),
    ("boolean", {}, {"valueBoolean": False}, [{"valueString": "yes"}, {"valueBoolean": 1}]),
    ("integer", {"min_value": 0, "max_value": 10}, {"valueInteger": 10},
     [{"valueInteger": 11}, {"valueInteger": -1}, {"valueInteger": 1.5},
      {"valueInteger": True}, {"valueDecimal": 3}]),
    ("decimal", {"min_value": 35, "max_value": 43}, {"valueDecimal": 38.5},
     [{"valueDecimal": 43.01}, {"valueDecimal": "38"}, {"valueDecimal": False}]),
    ("date", {}, {"valueDate": "2024-02-29"},
     [{"valueDate": "2025-02-29"}, {"valueDate": "2025-02"}, {"valueDate": "29/2/2024"}]),
    ("dateTime", {}, {"valueDateTime": "2025-03-01T10:15:00Z"},
     [{"valueDateTime": "2025-03-01T10:15:00"}, {"valueDateTime": "tomorrow"}]),
    ("attachment", {"allowed_types": IMAGES_AND_PDF, "max_size": 1000},
     {"valueAttachment": {"url": "attachment:1", "contentType": "image/png", "size": 999}},
     [{"valueAttachment": {"url": "attachment:1", "contentType": "text/html", "size": 1}},
      {"valueAttachment": {"url": "attachment:1", "contentType": "image/png", "size": 1001}},
      {"valueAttachment": {"data": "aGVq", "contentType": "image/png", "size": 3}},
      {"valueAttachment": {"url": "attachment:1", "contentType": "image/png"}}]),
])
def test_each_item_type_accepts_its_value_and_refuses_others(type_, extra, good, bad):
    definition = form(q("a", type_, N, **extra))
    assert codes(definition, ans("a", good)) == []
    for answer in bad:
        assert len(codes(definition, ans("a", answer))) == 1, answer


def test_choice_single_and_multiple():
    single = form(yes_no("a"))
    assert codes(single, ans("a", code("yes"))) == []
    assert codes(single, ans("a", code("maybe"))) == ["invalid_option"]
    assert codes(single, ans("a", code("yes"), code("no"))) == ["too_many_answers"]
    assert codes(single, ans("a", s("yes"))) == ["wrong_type"]
    multiple = form(yes_no("a", repeats=True))
    assert codes(multiple, ans("a", code("yes"), code("no"))) == []
    assert codes(multiple, ans("a", code("yes"), code("yes"))) == ["duplicate_answer"]


def test_default_length_limits_apply_without_max_length():
    definition = form(q("a", "string", N), q("b", "text", N))
    assert codes(definition, ans("a", s("x" * 501)), ans("b", s("y" * 10_001))) == [
        "too_long", "too_long"]


def test_required_and_blank_answers():
    definition = form(q("a", "string", N, required=True), q("b", "string", N))
    assert codes(definition) == ["required"]
    assert codes(definition, ans("a", s("   "))) == ["required"]
    assert codes(definition, ans("a")) == ["required"]
    assert codes(definition, ans("a", s("ok"))) == []


def test_required_children_of_an_optional_group_apply_only_when_it_is_answered():
    definition = form(group("g", N, q("g.a", "string", N, required=True),
                            q("g.b", "string", N)))
    assert codes(definition) == []
    assert codes(definition, grp("g", ans("g.b", s("x")))) == ["required"]


def test_a_required_group_needs_an_answer_inside():
    definition = form(group("g", N, q("g.a", "string", N), required=True))
    assert codes(definition) == ["required"]
    assert codes(definition, grp("g")) == ["required"]
    assert codes(definition, grp("g", ans("g.a", s("x")))) == []


def test_repeating_groups_are_checked_per_instance():
    definition = form(group("m", N, q("m.name", "string", N, required=True),
                            q("m.dose", "string", N), repeats=True, required=True))
    ok = grp("m", ans("m.name", s("A")))
    assert codes(definition, ok, grp("m", ans("m.name", s("B")))) == []
    assert codes(definition, ok, grp("m", ans("m.dose", s("1x1")))) == ["required"]
    single = form(group("g", N, q("g.a", "string", N)))
    assert codes(single, grp("g", ans("g.a", s("x"))), grp("g")) == ["duplicate_item"]


def test_answers_to_disabled_items_are_errors_not_silently_dropped():
    definition = form(yes_no("a"), q("b", "string", N, show=when("a", "=", "yes")))
    assert codes(definition, ans("a", code("no")), ans("b", s("x"))) == ["disabled"]
    assert codes(definition, ans("a", code("yes")), ans("b", s("x"))) == []


def test_required_applies_only_while_enabled():
    definition = form(yes_no("a"), q("b", "string", N, required=True,
                                     show=when("a", "=", "yes")))
    assert codes(definition, ans("a", code("no"))) == []
    assert codes(definition, ans("a", code("yes"))) == ["required"]


def test_structure_errors():
    definition = form(q("a", "string", N), display("d", N))
    assert codes(definition, ans("nope", s("x"))) == ["unknown_item"]
    assert codes(definition, ans("a", s("x")), ans("a", s("y"))) == ["duplicate_item"]
    assert codes(definition, ans("d", s("x"))) == ["not_a_question"]
    assert codes(definition, {"linkId": "d"}) == []
    assert codes(definition, {"answer": []}) == ["malformed"]
    assert codes(definition, ans("a", {"valueString": "x", "valueInteger": 1})) == ["wrong_type"]
    assert codes(definition, {"linkId": "a", "answer": "x"}) == ["malformed"]
    assert codes(definition, {"linkId": "a", "item": []}) == ["malformed"]
    assert codes(definition, ans("a", {"valueString": "x", "item": []})) == ["malformed"]


@pytest.mark.parametrize("bad", [None, [], "x", {"resourceType": "Questionnaire"},
                                 {"resourceType": "QuestionnaireResponse", "item": {}}])
def test_malformed_responses_are_errors_not_crashes(bad):
    definition = form(q("a", "string", N))
    assert [e.code for e in validate_response(definition, bad)] == ["malformed"]


def test_response_must_be_completed_and_for_this_exact_version():
    definition = form(q("a", "string", N))
    answers = response(ans("a", s("x")), questionnaire="urn:f|1")
    assert validate_response(definition, answers, canonical="urn:f|1") == []
    assert [e.code for e in validate_response(definition, answers, canonical="urn:f|2")] == [
        "wrong_questionnaire"]
    draft = {**answers, "status": "in-progress"}
    assert [e.code for e in validate_response(definition, draft)] == ["not_completed"]


def test_errors_are_field_level_and_in_the_requested_language():
    definition = form(group("g", N, q("g.n", "integer", ("Ålder", "Age"), max_value=120)))
    answers = response(grp("g", ans("g.n", {"valueInteger": 130})))
    [sv] = validate_response(definition, answers, lang="sv")
    [en] = validate_response(definition, answers, lang="en")
    assert (sv.link_id, sv.path, sv.code) == ("g.n", "item[0].item[0].answer[0]", "too_large")
    assert sv.message == "Svaret på ”Ålder” får inte vara större än 120."
    assert en.message == "The answer to “Age” may not be greater than 120."


def test_submitted_values_are_never_echoed_in_messages():
    definition = form(q("a", "string", N, max_length=3))
    [error] = validate_response(definition, response(ans("a", s("191212121212"))))
    assert "191212121212" not in error.message


def test_keys_the_form_does_not_define_are_errors_wherever_they_hide():
    """The answers are sealed and sent as given: nothing may ride along beside them."""
    definition = form(q("a", "string", N), yes_no("c"))
    body = response(ans("a", s("hej")))
    assert validate_response(definition, {**body, "junk": "x" * 100}) != []
    assert [e.code for e in validate_response(definition, {**body, "junk": 1})] == ["unknown_key"]
    entry_extra = response({"linkId": "a", "answer": [s("hej")], "blob": "x"})
    answer_extra = response(ans("a", {"valueString": "hej", "extension": ["x"]}))
    coding_extra = response(ans("c", {"valueCoding": {"code": "yes", "payload": "y"}}))
    for body in (entry_extra, answer_extra, coding_extra):
        assert [e.code for e in validate_response(definition, body)] == ["unknown_key"], body


def test_answer_sets_are_bounded_in_count_and_in_the_size_of_every_text():
    definition = form(q("a", "string", N, repeats=True))
    many = response({"linkId": "a", "answer": [s(f"v{i}") for i in range(600)]})
    assert [e.code for e in validate_response(definition, many)] == ["too_many_entries"]
    long_echo = response({"linkId": "a", "text": "x" * 100_000, "answer": [s("hej")]})
    assert [e.code for e in validate_response(definition, long_echo)] == ["malformed"]
