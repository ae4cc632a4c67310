"""Every built-in template exported as FHIR R4 JSON is a valid Questionnaire, and every sample
answer set a valid QuestionnaireResponse. fhir.resources 8 defaults to R5; its R4-family
models live in `fhir.resources.R4B` (R4B shares R4's Questionnaire/QuestionnaireResponse)."""

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from devstack.form_samples import SAMPLES
from services.forms.domain.fhir import TRANSLATION, from_fhir, to_fhir
from services.forms.domain.model import walk
from services.forms.library import BUILTIN

URL = "https://mina-vardkontakter.example/fhir/Questionnaire/f1"


@pytest.mark.parametrize("service", sorted(BUILTIN))
def test_template_is_a_valid_fhir_r4_questionnaire(service):
    exported = to_fhir(BUILTIN[service], url=URL, version="1")
    parsed = Questionnaire.model_validate(exported)
    assert parsed.status == "active" and parsed.language == "sv"
    assert parsed.version == "1" and parsed.url == URL
    assert len(parsed.item) == len(BUILTIN[service].items)


@pytest.mark.parametrize("service", sorted(BUILTIN))
def test_every_text_carries_its_english_translation(service):
    def texts(node):
        for item in node.get("item", []):
            yield item, "text"
            for option in item.get("answerOption", []):
                yield option["valueCoding"], "display"
            yield from texts(item)

    exported = to_fhir(BUILTIN[service], url=URL, version="1")
    for element, name in [(exported, "title"), *texts(exported)]:
        [translation] = element[f"_{name}"]["extension"]
        assert translation["url"] == TRANSLATION
        assert translation["extension"][0] == {"url": "lang", "valueCode": "en"}
        assert translation["extension"][1]["valueString"]


@pytest.mark.parametrize("service", sorted(BUILTIN))
def test_export_then_import_gives_the_same_form(service):
    assert from_fhir(to_fhir(BUILTIN[service], url=URL, version="3")) == BUILTIN[service]


@pytest.mark.parametrize("service", sorted(BUILTIN))
def test_sample_answers_are_a_valid_fhir_questionnaire_response(service):
    answers = {**SAMPLES[service], "questionnaire": f"{URL}|1"}
    parsed = QuestionnaireResponse.model_validate(answers)
    assert parsed.status == "completed" and parsed.questionnaire == f"{URL}|1"


def test_enable_when_and_extensions_use_fhir_element_names():
    exported = to_fhir(BUILTIN["advice"], url=URL, version="1")
    items = {i["linkId"]: i for i in _flat(exported["item"])}
    assert items["screening.call"]["enableWhen"] == [
        {"question": "screening.severe", "operator": "=", "answerBoolean": True}]
    assert items["symptoms"]["enableWhen"][0] == {
        "question": "recipient", "operator": "exists", "answerBoolean": True}
    assert items["fever"]["enableWhen"][0]["answerCoding"] == {"code": "nurse"}
    assert items["pain_high"]["enableWhen"][0]["answerInteger"] == 7
    ext = {e["url"].rsplit("/", 1)[1]: e for e in items["temperature"]["extension"]}
    assert ext["minValue"]["valueDecimal"] == 35 and ext["maxValue"]["valueDecimal"] == 43


def test_attachment_limits_are_exported():
    exported = to_fhir(BUILTIN["book_appointment"], url=URL, version="1")
    photo = next(i for i in exported["item"] if i["linkId"] == "photo")
    urls = [e["url"].rsplit("/", 1)[1] for e in photo["extension"]]
    assert urls.count("mimeType") == 3 and "maxSize" in urls


def test_every_item_type_is_used_by_some_template():
    used = {item.type for f in BUILTIN.values() for item, _ in walk(f.items)}
    assert used == {"group", "display", "string", "text", "boolean", "integer", "decimal",
                    "date", "dateTime", "choice", "attachment"}


def _flat(items):
    for item in items:
        yield item
        yield from _flat(item.get("item", []))
