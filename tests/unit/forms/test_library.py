"""Every built-in template: realistic, renders and validates in Swedish and English."""

import pytest

from devstack.form_samples import SAMPLES, ans, code, grp, response
from services.forms.domain import i18n
from services.forms.domain.enable import enabled_items
from services.forms.domain.render import render_answers, render_html
from services.forms.domain.validate import validate_response
from services.forms.library import BUILTIN
from shared.events.contracts import ServiceType

URGENT_SV = "Om det är akut: ring 112. Vid frågor: ring 1177."


def test_one_template_per_e_service():
    assert set(BUILTIN) == set(ServiceType.__args__) and len(BUILTIN) == 7


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("service", sorted(BUILTIN))
def test_template_renders(service, lang):
    form = BUILTIN[service]
    html = render_html(form, lang)
    assert html.startswith(f'<form lang="{lang}"><h1>{form.title(lang)}</h1>')
    for item in form.items:
        assert f'data-link-id="{item.link_id}"' in html
    other = "en" if lang == "sv" else "sv"
    assert form.items[0].text(other) not in html or \
        form.items[0].text(other) == form.items[0].text(lang)


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("service", sorted(BUILTIN))
def test_sample_answers_validate(service, lang):
    assert validate_response(BUILTIN[service], SAMPLES[service], lang=lang) == []


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("service", sorted(BUILTIN))
def test_empty_answers_give_required_errors_in_that_language(service, lang):
    errors = validate_response(BUILTIN[service], response(), lang=lang)
    assert errors and {e.code for e in errors} == {"required"}
    template = i18n.MESSAGES["required"][lang].split("{label}")[0]
    assert all(e.message.startswith(template) for e in errors)


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("service", sorted(BUILTIN))
def test_answers_render_as_text_in_that_language(service, lang):
    form = BUILTIN[service]
    text = render_answers(form, SAMPLES[service], lang)
    assert text.startswith(form.title(lang) + "\n")
    answered = [i for i in form.items if i.type != "display"
                and any(e.get("linkId") == i.link_id for e in SAMPLES[service]["item"])]
    assert all(i.text(lang) in text for i in answered)


def test_advice_urgency_screening_shows_the_112_1177_notice():
    form = BUILTIN["advice"]
    urgent = enabled_items(form, {"screening.severe": [True]})
    assert "screening.call" in urgent and "recipient" not in urgent
    assert form.items[1].items[1].text("sv") == URGENT_SV
    calm = enabled_items(form, {"screening.severe": [False], "recipient": ["nurse"]})
    assert "screening.call" not in calm and {"recipient", "fever"} <= calm
    assert "affects" not in calm  # psychological questions only for psych advice


def test_advice_questions_close_when_screening_says_urgent():
    answers = response(grp("screening", ans("screening.severe", {"valueBoolean": True})),
                       ans("recipient", code("nurse")))
    errors = validate_response(BUILTIN["advice"], answers)
    assert [(e.code, e.link_id) for e in errors] == [("disabled", "recipient"),
                                                      ("required", "contact")]


def test_high_pain_shows_the_urgent_notice():
    assert "pain_high" in enabled_items(BUILTIN["advice"], {
        "screening.severe": [False], "recipient": ["nurse"], "pain": [8]})


def test_change_care_centre_asks_for_a_centre_unless_only_the_doctor_changes():
    form = BUILTIN["change_care_centre"]
    assert "new_centre" not in enabled_items(form, {"change": ["doctor"]})
    assert "new_centre" in enabled_items(form, {"change": ["both"]})
    assert "new_doctor" not in enabled_items(form, {"change": ["centre"]})


def test_rendering_escapes_html():
    from services.forms.domain.model import FormDefinition
    from services.forms.library.builder import q, text
    form = FormDefinition(title=text(("<b>x</b>", "<b>x</b>")),
                          items=(q("a", "string", ("<script>", "<script>")),))
    html = render_html(form, "sv")
    assert "<script>" not in html and "&lt;script&gt;" in html
