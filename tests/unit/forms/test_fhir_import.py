"""Import of FHIR R4 Questionnaire features, one by one: what is read into the form, what is
honoured by rendering and validation, what is refused (what and where) or dropped with a
warning, and that export then import keeps it all."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from services.forms.domain.fhir import from_fhir, to_fhir
from services.forms.domain.fhir_import import import_resource
from services.forms.domain.render import render_html
from services.forms.domain.validate import validate_response

CORE = "http://hl7.org/fhir/StructureDefinition/"
TRANSLATION = CORE + "translation"


def questionnaire(*items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Questionnaire", "status": "active", "title": "T",
            "item": list(items), **extra}


def ext(name: str, **value: Any) -> dict[str, Any]:
    return {"url": CORE + name, **value}


def imported(resource: dict[str, Any], **kw: Any):
    [form] = import_resource(resource, **kw)
    assert form.definition is not None, [(i.where, i.feature) for i in form.problems]
    exported = to_fhir(form.definition, url="urn:x", version="1")
    Questionnaire.model_validate(exported)
    assert from_fhir(exported) == form.definition  # round trip keeps everything
    return form


def refused(resource: dict[str, Any]) -> list[tuple[str, str, str]]:
    [form] = import_resource(resource)
    assert form.definition is None
    return [(i.code, i.where, i.feature) for i in form.problems]


def answers(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "status": "completed", "item": list(entries)}


def codes(form, *entries) -> set[str]:
    return {e.code for e in validate_response(form.definition, answers(*entries))}


@pytest.mark.parametrize(("key", "values", "answer"), [
    ("valueCoding", [{"system": "http://loinc.org", "code": "LA6568-5", "display": "Not at all"},
                     {"system": "http://snomed.info/sct", "code": "373066001", "display": "Yes"}],
     {"valueCoding": {"system": "http://snomed.info/sct", "code": "373066001"}}),
    ("valueString", ["Red", "Blue"], {"valueString": "Blue"}),
    ("valueInteger", [1, 2, 3], {"valueInteger": 2}),
    ("valueDate", ["2024-01-01", "2024-02-01"], {"valueDate": "2024-02-01"}),
    ("valueTime", ["08:00:00", "12:00:00"], {"valueTime": "12:00:00"}),
])
def test_answer_options_of_every_value_type(key, values, answer):
    form = imported(questionnaire({"linkId": "q", "text": "Q", "type": "choice",
                                   "answerOption": [{key: v} for v in values]}))
    assert codes(form, {"linkId": "q", "answer": [answer]}) == set()
    wrong = {key: {"valueCoding": {"code": "nope"}, "valueString": "Green", "valueInteger": 99,
                   "valueDate": "2024-03-01", "valueTime": "09:00:00"}[key]}
    assert codes(form, {"linkId": "q", "answer": [wrong]}) == {"invalid_option"}


def test_codes_keep_their_system_and_shape():
    form = imported(questionnaire({"linkId": "/8867-4", "text": "Pulse", "type": "integer",
                                   "code": [{"system": "http://loinc.org", "code": "8867-4",
                                             "display": "Heart rate"}]}))
    [item] = form.definition.items
    assert item.link_id == "/8867-4" and item.codes[0].system == "http://loinc.org"


def test_contained_value_set_is_expanded_and_external_one_refused():
    contained = {"resourceType": "ValueSet", "id": "vs", "status": "active",
                 "compose": {"include": [{"system": "urn:local", "concept": [
                     {"code": "A", "display": "Alpha"}, {"code": "B", "display": "Beta"}]}]}}
    form = imported(questionnaire({"linkId": "q", "text": "Q", "type": "choice",
                                   "answerValueSet": "#vs"}, contained=[contained]))
    assert [(o.system, o.code) for o in form.definition.items[0].options] == [
        ("urn:local", "A"), ("urn:local", "B")]
    problems = refused(questionnaire({"linkId": "q", "text": "Q", "type": "choice",
                                      "answerValueSet": "https://tx.example/ValueSet/x"}))
    assert problems == [("external_value_set", "q", "https://tx.example/ValueSet/x")]


def test_value_set_sent_in_the_same_bundle_is_expanded():
    value_set = {"resourceType": "ValueSet", "url": "http://loinc.org/vs/LL1-9",
                 "status": "active", "compose": {"include": [{"system": "urn:local", "concept": [
                     {"code": "A", "display": "Alpha"}]}]}}
    q = questionnaire({"linkId": "q", "text": "Q", "type": "choice",
                       "answerValueSet": "http://example.org/ValueSet/LL1-9"})
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": q}, {"fullUrl": "http://example.org/ValueSet/LL1-9", "resource": value_set}]}
    [form] = import_resource(bundle)
    assert [(o.system, o.code) for o in form.definition.items[0].options] == [("urn:local", "A")]
    [alone] = import_resource(q)
    assert [i.code for i in alone.problems] == ["external_value_set"]


def test_missing_contained_value_set_and_missing_link_id_are_refused():
    problems = refused(questionnaire({"linkId": "q", "text": "Q", "type": "choice",
                                      "answerValueSet": "#nowhere"},
                                     {"text": "No id", "type": "string"}))
    assert problems == [("missing_value_set", "q", "#nowhere"),
                        ("invalid", "?", "every item needs a linkId")]


def test_open_choice_takes_an_option_or_other_text():
    form = imported(questionnaire({"linkId": "q", "text": "Q", "type": "open-choice",
                                   "answerOption": [{"valueCoding": {"code": "a"}}]}))
    assert codes(form, {"linkId": "q", "answer": [{"valueCoding": {"code": "a"}}]}) == set()
    assert codes(form, {"linkId": "q", "answer": [{"valueString": "something else"}]}) == set()
    assert "Other, namely" in render_html(form.definition, "en")
    assert "Annat, nämligen" in render_html(form.definition, "sv")


def test_quantity_with_unit_and_time_items():
    kg = {"system": "http://unitsofmeasure.org", "code": "kg", "display": "kg"}
    form = imported(questionnaire(
        {"linkId": "w", "text": "Weight", "type": "quantity",
         "extension": [ext("questionnaire-unit", valueCoding=kg)]},
        {"linkId": "t", "text": "When", "type": "time"}))
    good = {"value": 70.5, "system": kg["system"], "code": "kg"}
    assert codes(form, {"linkId": "w", "answer": [{"valueQuantity": good}]},
                 {"linkId": "t", "answer": [{"valueTime": "07:30:00"}]}) == set()
    assert codes(form, {"linkId": "w", "answer": [{"valueQuantity": {**good, "code": "g"}}]},
                 {"linkId": "t", "answer": [{"valueTime": "7.30"}]}) == {"wrong_unit",
                                                                         "wrong_type"}


def test_follow_up_questions_nested_under_a_question():
    form = imported(questionnaire({"linkId": "smoke", "text": "Smoke?", "type": "boolean",
                                   "item": [{"linkId": "howmuch", "text": "How much?",
                                             "type": "integer"}]}))
    nested = {"linkId": "smoke", "answer": [{"valueBoolean": True, "item": [
        {"linkId": "howmuch", "answer": [{"valueInteger": 10}]}]}]}
    assert codes(form, nested) == set()
    nested["answer"][0]["item"][0]["answer"] = [{"valueString": "x"}]
    assert codes(form, nested) == {"wrong_type"}


def test_groups_and_display_without_text_and_title_falls_back_to_name():
    resource = questionnaire({"linkId": "g", "type": "group", "item": [
        {"linkId": "d", "type": "display"}, {"linkId": "q", "text": "Q", "type": "string"}]},
        name="MyForm")
    del resource["title"]
    form = imported(resource)
    assert form.definition.title.en == "MyForm" and form.definition.items[0].text is None
    assert "<legend>" not in render_html(form.definition, "sv")


@pytest.mark.parametrize(("kind", "low", "high", "good", "bad"), [
    ("integer", 1, 10, 5, 11), ("decimal", 0.5, 2.5, 1.5, 0.1),
    ("date", "2020-01-01", "2020-12-31", "2020-06-01", "2021-01-01"),
    ("dateTime", "2020-01-01T00:00:00Z", "2020-12-31T00:00:00Z", "2020-06-01T10:00:00Z",
     "2019-06-01T10:00:00Z"),
    ("time", "08:00:00", "17:00:00", "09:00:00", "18:00:00")])
def test_min_and_max_value_of_every_type(kind, low, high, good, bad):
    key = {"integer": "valueInteger", "decimal": "valueDecimal", "date": "valueDate",
           "dateTime": "valueDateTime", "time": "valueTime"}[kind]
    form = imported(questionnaire({"linkId": "q", "text": "Q", "type": kind, "extension": [
        ext("minValue", **{key: low}), ext("maxValue", **{key: high})]}))
    assert codes(form, {"linkId": "q", "answer": [{key: good}]}) == set()
    assert codes(form, {"linkId": "q", "answer": [{key: bad}]}) & {"too_small", "too_large"}


def test_decimal_places_min_length_and_regex():
    form = imported(questionnaire(
        {"linkId": "d", "text": "D", "type": "decimal",
         "extension": [ext("maxDecimalPlaces", valueInteger=1)]},
        {"linkId": "s", "text": "S", "type": "string", "maxLength": 10,
         "extension": [ext("minLength", valueInteger=3), ext("regex", valueString="[0-9]+")]}))
    assert codes(form, {"linkId": "d", "answer": [{"valueDecimal": 1.5}]},
                 {"linkId": "s", "answer": [{"valueString": "12345"}]}) == set()
    assert codes(form, {"linkId": "d", "answer": [{"valueDecimal": 1.25}]},
                 {"linkId": "s", "answer": [{"valueString": "1a"}]}) == {
        "decimals", "too_short", "pattern"}
    html = render_html(form.definition, "en")
    assert 'minlength="3"' in html and 'pattern="[0-9]+"' in html and 'step="0.1"' in html


def test_read_only_hidden_and_initial_values():
    form = imported(questionnaire(
        {"linkId": "r", "text": "R", "type": "string", "readOnly": True,
         "initial": [{"valueString": "fixed"}]},
        {"linkId": "h", "text": "H", "type": "integer", "initial": [{"valueInteger": 7}],
         "extension": [ext("questionnaire-hidden", valueBoolean=True)]},
        {"linkId": "c", "text": "C", "type": "choice", "answerOption": [
            {"valueCoding": {"code": "a"}}, {"valueCoding": {"code": "b"},
                                              "initialSelected": True}]}))
    items = {i.link_id: i for i in form.definition.items}
    assert items["r"].read_only and items["h"].hidden and items["c"].options[1].initial_selected
    html = render_html(form.definition, "sv")
    assert 'value="fixed" disabled' in html and 'value="b" checked' in html
    assert codes(form, {"linkId": "r", "answer": [{"valueString": "fixed"}]}) == set()
    assert codes(form, {"linkId": "r", "answer": [{"valueString": "changed"}]},
                 {"linkId": "h", "answer": [{"valueInteger": 8}]}) == {"read_only"}


@pytest.mark.parametrize(("control", "repeats", "html"), [
    ("drop-down", False, "<select"), ("radio-button", False, 'type="radio"'),
    ("check-box", True, 'type="checkbox"')])
def test_item_control_for_choices_is_rendered(control, repeats, html):
    form = imported(questionnaire({
        "linkId": "c", "text": "C", "type": "choice", "repeats": repeats,
        "answerOption": [{"valueCoding": {"code": "a"}}, {"valueCoding": {"code": "b"}}],
        "extension": [ext("questionnaire-itemControl", valueCodeableConcept={"coding": [
            {"system": "http://hl7.org/fhir/questionnaire-item-control", "code": control}]})]}))
    assert form.definition.items[0].control == control
    assert html in render_html(form.definition, "en")
    two = [{"valueCoding": {"code": "a"}}, {"valueCoding": {"code": "b"}}]
    assert ("too_many_answers" in codes(form, {"linkId": "c", "answer": two})) is not repeats


def test_a_radio_button_on_a_repeating_item_is_refused():
    problems = refused(questionnaire({
        "linkId": "c", "text": "C", "type": "choice", "repeats": True,
        "answerOption": [{"valueCoding": {"code": "a"}}],
        "extension": [ext("questionnaire-itemControl", valueCodeableConcept={"coding": [
            {"code": "radio-button"}]})]}))
    assert problems[0][:2] == ("invalid", "c")


def test_slider_is_rendered_and_its_steps_validated():
    form = imported(questionnaire({
        "linkId": "s", "text": "Pain", "type": "integer", "extension": [
            ext("minValue", valueInteger=0), ext("maxValue", valueInteger=10),
            ext("questionnaire-sliderStepValue", valueInteger=2),
            ext("questionnaire-itemControl", valueCodeableConcept={"coding": [
                {"code": "slider"}]})]}))
    assert 'type="range"' in render_html(form.definition, "sv")
    assert codes(form, {"linkId": "s", "answer": [{"valueInteger": 4}]}) == set()
    assert codes(form, {"linkId": "s", "answer": [{"valueInteger": 5}]}) == {"step"}


def _tr(lang: str, text: str) -> dict[str, Any]:
    return {"extension": [{"url": TRANSLATION, "extension": [
        {"url": "lang", "valueCode": lang}, {"url": "content", "valueString": text}]}]}


def test_translations_for_every_language_present_are_kept():
    form = imported(questionnaire(
        {"linkId": "q", "text": "Hur mår du?", "_text": {"extension": [
            *_tr("en", "How are you?")["extension"], *_tr("de", "Wie geht's?")["extension"]]},
         "type": "string"}, language="sv-SE", _title=_tr("en", "Title")))
    text = form.definition.items[0].text
    assert (text.sv, text.en, text.more) == ("Hur mår du?", "How are you?", (("de", "Wie geht's?"),))
    assert not [w for w in form.warnings if w.code == "missing_language"]


def test_english_only_form_warns_that_swedish_falls_back():
    form = imported(questionnaire({"linkId": "q", "text": "How?", "type": "string"}))
    assert form.definition.items[0].text.sv == "How?"
    [warning] = [w for w in form.warnings if w.code == "missing_language"]
    assert "svenska" in warning.message("sv") and "Swedish" in warning.message("en")


def test_one_questionnaire_per_language_becomes_one_form():
    def version(lang: str, title: str, text: str, option: str) -> dict[str, Any]:
        return {"resourceType": "Questionnaire", "url": "urn:form", "language": lang,
                "status": "active", "title": title, "item": [
                    {"linkId": "q", "text": text, "type": "choice",
                     "answerOption": [{"valueCoding": {"code": "y", "display": option}}]}]}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": version("sv", "Titel", "Röker du?", "Ja")},
        {"resource": version("en", "Title", "Do you smoke?", "Yes")}]}
    [form] = import_resource(bundle)
    definition = form.definition
    assert (definition.title.sv, definition.title.en) == ("Titel", "Title")
    assert definition.items[0].options[0].text.en == "Yes"
    other = version("en", "Title", "Do you smoke?", "Yes")
    other["item"][0]["linkId"] = "different"
    bundle["entry"][1]["resource"] = other
    [form] = import_resource(bundle)
    assert form.definition is None and form.problems[0].code == "languages_differ"


def test_unsupported_features_are_refused_with_what_and_where():
    problems = refused(questionnaire({"linkId": "g", "type": "group", "item": [
        {"linkId": "score", "text": "Score", "type": "integer", "extension": [
            {"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/"
                    "sdc-questionnaire-calculatedExpression", "valueExpression": {}}]},
        {"linkId": "ref", "text": "Who", "type": "reference"}]}))
    assert ("unsupported_extension", "g/score", "sdc-questionnaire-calculatedExpression") in \
        problems
    assert ("unsupported_element", "g/ref", "type reference") in problems


def test_presentation_hints_are_dropped_with_a_warning():
    form = imported(questionnaire({"linkId": "q", "text": "Q", "type": "choice",
                                   "answerOption": [{"valueCoding": {"code": "a"}}],
                                   "extension": [ext("questionnaire-choiceOrientation",
                                                     valueCode="horizontal")]}))
    [hint] = [w for w in form.warnings if w.code == "dropped_hint"]
    assert (hint.where, hint.feature) == ("q", "questionnaire-choiceOrientation")
    assert "tas bort" in hint.message("sv") and "dropped" in hint.message("en")


def test_extraction_extensions_are_kept_and_exported_again():
    extract = {"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/"
                      "sdc-questionnaire-observationExtract", "valueBoolean": True}
    form = imported(questionnaire({"linkId": "q", "text": "Q", "type": "decimal",
                                   "extension": [extract]}))
    exported = to_fhir(form.definition, url="urn:x", version="1")
    assert extract in exported["item"][0]["extension"]


def test_enable_when_not_equal_on_an_unanswered_question_enables():
    form = imported(questionnaire(
        {"linkId": "a", "text": "A", "type": "choice",
         "answerOption": [{"valueCoding": {"code": "y"}}, {"valueCoding": {"code": "n"}}]},
        {"linkId": "b", "text": "B", "type": "string", "required": True,
         "enableWhen": [{"question": "a", "operator": "!=", "answerCoding": {"code": "y"}}]}))
    assert codes(form) == {"required"}  # b is enabled, hence required
    assert codes(form, {"linkId": "a", "answer": [{"valueCoding": {"code": "y"}}]}) == set()


def test_option_scores_are_kept_and_unknown_option_parts_refused():
    score = {"url": CORE + "ordinalValue", "valueDecimal": 2}
    contained = {"resourceType": "ValueSet", "id": "vs", "status": "active", "compose": {
        "include": [{"system": "urn:s", "concept": [{"code": "a", "extension": [score]}]}]}}
    form = imported(questionnaire({"linkId": "q", "text": "Q", "type": "choice",
                                   "answerValueSet": "#vs"}, contained=[contained]))
    exported = to_fhir(form.definition, url="urn:x", version="1")
    assert exported["item"][0]["answerOption"][0]["extension"] == [score]
    problems = refused(questionnaire({"linkId": "q", "text": "Q", "type": "choice",
                                      "answerOption": [{"valueCoding": {
                                          "code": "a", "userSelected": True}}]}))
    assert problems == [("unsupported_element", "q", "answerOption.valueCoding.userSelected")]


@pytest.mark.timeout(10)
def test_a_catastrophic_pattern_cannot_stall_validation():
    form = imported(questionnaire({"linkId": "s", "text": "S", "type": "string",
                                   "extension": [ext("regex", valueString="(a+)+$")]}))
    evil = {"linkId": "s", "answer": [{"valueString": "a" * 490 + "!"}]}
    assert codes(form, evil) == {"pattern"}  # Python's re would backtrack for ages here


def test_definition_problems_read_in_swedish_too():
    [form] = import_resource(questionnaire(
        {"linkId": "a", "text": "A", "type": "string", "enableWhen": [
            {"question": "b", "operator": "exists", "answerBoolean": True}]},
        {"linkId": "b", "text": "B", "type": "string"}))
    [problem] = form.problems
    assert problem.message("sv") == ("a: ogiltig formulärdefinition (enableWhen måste "
                                     "hänvisa till en tidigare fråga (b)).")
    assert "enableWhen must refer to an earlier question (b)" in problem.message("en")
