"""Every Questionnaire of the public corpus (see tests/corpus/fhir_questionnaires/manifest.json)
is imported with the outcome its manifest entry states. A supported one renders in Swedish and
English, is answered in full and validates, refuses a wrong answer, exports as a valid R4
Questionnaire that imports back to the same form, and its answers export as a valid
QuestionnaireResponse. A refused one says what and where, in both languages."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from services.forms.domain.fhir import from_fhir, to_fhir
from services.forms.domain.fhir_import import import_resource
from services.forms.domain.model import walk
from services.forms.domain.render import render_html
from services.forms.domain.validate import validate_response
from tests.unit.forms.answering import answer_all
from tests.unit.forms.corpus import CORPUS, MANIFEST, load, outcome

URL = "https://mina-vardkontakter.example/fhir/Questionnaire/imported"
ENTRIES = {e["file"]: e for e in MANIFEST}


def test_manifest_lists_every_file_with_its_origin():
    on_disk = {p.name for p in CORPUS.glob("*.json")} - {"manifest.json"}
    assert on_disk == set(ENTRIES)
    for entry in MANIFEST:
        assert entry["path"]
        if "package" in entry:  # a published FHIR package: name, version and its hash
            assert entry["version"] and entry["integrity"].startswith("sha512-")
        else:  # a repository at a commit
            assert entry["repository"] and len(entry["commit"]) == 40
        assert entry["expected"] == "supported" or entry["expected"].startswith("refused: ")


def test_r4_specification_examples_are_all_there():
    """Every Questionnaire of hl7.fhir.r4.examples 4.0.1: seven alone, one in a Bundle with
    its ValueSets, two inside a PlanDefinition."""
    r4 = [e for e in MANIFEST if e.get("package") == "hl7.fhir.r4.examples"]
    assert len(r4) == 10 and {e["version"] for e in r4} == {"4.0.1"}


@pytest.mark.parametrize("name", sorted(n for n in ENTRIES if load(n)["resourceType"] ==
                                        "Questionnaire"))
def test_same_outcome_when_sent_in_a_bundle(name):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": load(name)}]}
    [form] = import_resource(bundle)
    assert outcome(form) == ENTRIES[name]["expected"]


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_import_outcome_is_as_recorded(name):
    [form] = import_resource(load(name))
    assert outcome(form) == ENTRIES[name]["expected"]
    for issue in form.problems + form.warnings:
        assert issue.where is not None and issue.message("sv") != issue.message("en")


SUPPORTED = sorted(n for n, e in ENTRIES.items() if e["expected"] == "supported")


@pytest.mark.parametrize("name", SUPPORTED)
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_supported_form_renders_answers_and_validates(name, lang):
    [form] = import_resource(load(name))
    definition = form.definition
    html = render_html(definition, lang)
    assert html.startswith(f'<form lang="{lang}">')
    for item, _ in walk(definition.items):
        assert f'data-link-id="{item.link_id}"' in html.replace("&quot;", '"') or \
            "&" in item.link_id
    response = answer_all(definition, f"{URL}|1")
    assert response["item"], "the generated answers fill in at least one question"
    assert validate_response(definition, response, lang=lang, canonical=f"{URL}|1") == []
    QuestionnaireResponse.model_validate(response)


@pytest.mark.parametrize("name", SUPPORTED)
def test_supported_form_refuses_a_wrong_answer(name):
    [form] = import_resource(load(name))
    response = answer_all(form.definition)
    first = response["item"][0]
    while "answer" not in first:
        first = first["item"][0]
    first["answer"] = [{"valueReference": {"reference": "Patient/x"}}]
    codes = {e.code for e in validate_response(form.definition, response)}
    assert "wrong_type" in codes


@pytest.mark.parametrize("name", SUPPORTED)
def test_supported_form_round_trips_through_export(name):
    [form] = import_resource(load(name))
    exported = to_fhir(form.definition, url=URL, version="1")
    Questionnaire.model_validate(exported)
    assert from_fhir(exported) == form.definition
    source = form.definition.source
    if source is not None and source.url:
        assert exported["derivedFrom"][0].startswith(source.url)
    else:  # nothing to derive from (e.g. a Questionnaire that was contained, without url)
        assert "derivedFrom" not in exported
