"""The patient mailbox validates answers on its own copy of a published form version: the
verdict must be exactly what forms' validation endpoint answers (same function, same
definition after its trip through JSON, same language choice, same error shape)."""

from __future__ import annotations

import copy

import httpx
import pytest

from devstack.form_samples import SAMPLES
from services.forms.api import validation_result
from services.forms.domain.i18n import pick_language
from services.forms.domain.validate import validate_response
from services.forms.library import BUILTIN
from services.messaging.patient.forms_client import FormsClient, FormsUnavailable

CANONICAL = "https://forms.example/Questionnaire/{}|3"


def served(calls: list[str], status: int = 200):
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        assert request.headers["x-internal-api-key"] == "k"
        form_id = request.url.path.split("/")[4]
        if status != 200:
            return httpx.Response(status)
        return httpx.Response(200, json={
            "definition": BUILTIN[form_id].model_dump(mode="json"),
            "canonical": CANONICAL.format(form_id)})
    return httpx.MockTransport(handler)


def variants(service_type: str) -> list[dict]:
    good = copy.deepcopy(SAMPLES[service_type])
    empty = {"resourceType": "QuestionnaireResponse", "item": []}
    other_form = {**good, "questionnaire": "https://elsewhere/Questionnaire/x|1"}
    mangled = copy.deepcopy(good)
    mangled["item"][0]["answer"] = [{"valueInteger": "not a number"}, {"valueBoolean": 3}]
    return [good, empty, other_form, mangled, {"resourceType": "Patient"}]


@pytest.mark.parametrize("service_type", sorted(SAMPLES))
async def test_local_verdict_is_forms_own(service_type):
    client = FormsClient("http://forms", "k", transport=served([]))
    form = BUILTIN[service_type]
    canonical = CANONICAL.format(service_type)
    for answers in variants(service_type):
        for header in (None, "en", "sv-SE,sv;q=0.4,en;q=0.9", "de"):
            lang = pick_language(None, header)  # what forms' LangDep picks from the header
            expected = validation_result(service_type, 3, lang, validate_response(
                form, copy.deepcopy(answers), lang=lang, canonical=canonical)).model_dump()
            verdict = await client.validate(service_type, 3, answers, header)
            assert (verdict.valid, verdict.errors) == (expected["valid"], expected["errors"])
    await client.aclose()


async def test_each_version_is_fetched_once_and_the_cache_is_bounded():
    calls: list[str] = []
    client = FormsClient("http://forms", "k", cached_versions=2, transport=served(calls))
    a, b, c = sorted(SAMPLES)[:3]
    for form_id in (a, a, b, a, c, a, b):
        await client.validate(form_id, 3, SAMPLES[form_id], None)
    # a stays (used most recently each time), b is evicted by c and fetched again
    assert calls == [f"/internal/v1/forms/{f}/versions/3" for f in (a, b, c, b)]
    await client.aclose()


@pytest.mark.parametrize("status", [404, 403, 503])
async def test_forms_not_answering_with_the_version_is_unavailable_and_not_cached(status):
    calls: list[str] = []
    client = FormsClient("http://forms", "k", transport=served(calls, status))
    for _ in range(2):
        with pytest.raises(FormsUnavailable):
            await client.validate("advice", 3, {}, None)
    assert len(calls) == 2
    await client.aclose()
