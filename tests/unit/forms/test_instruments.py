"""The validated instruments: valid R4 Questionnaires with a licence, in Swedish and English,
that render, take a full set of answers, and import back unchanged."""

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from services.forms.domain.fhir_import import import_resource
from services.forms.domain.render import render_html
from services.forms.domain.validate import validate_response
from services.forms.instruments import INSTRUMENTS, LICENCES
from tests.unit.forms.answering import answer_all

EXPECTED_QUESTIONS = {"phq-9": 10, "gad-7": 8, "audit": 10}


@pytest.mark.parametrize("key", sorted(INSTRUMENTS))
def test_instrument_is_valid_licensed_and_answerable(key):
    resource, form = INSTRUMENTS[key]
    Questionnaire.model_validate(resource)
    assert resource["copyright"] and LICENCES[key].startswith("Free to use")
    assert sum(item.is_question for item in form.items) == EXPECTED_QUESTIONS[key]
    for lang in ("sv", "en"):
        assert form.title(lang) in render_html(form, lang)
        assert validate_response(form, answer_all(form), lang=lang) == []
    assert validate_response(form, {"resourceType": "QuestionnaireResponse", "item": []})
    [imported] = import_resource(resource, source_language="sv")
    assert not imported.problems and imported.definition.items == form.items
    assert imported.definition.source.url == resource["url"]  # derived from the instrument
    assert all(w.code == "kept_unused" for w in imported.warnings)  # the answer scores
