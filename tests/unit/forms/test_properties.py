"""Properties of the validator: it never crashes on any JSON, and its verdicts agree with a
simple oracle for bounds, lengths and comparisons."""

import operator

from hypothesis import given, settings
from hypothesis import strategies as st

from devstack.form_samples import SAMPLES, ans, response, s
from services.forms.domain.enable import enabled_items
from services.forms.domain.validate import FieldError, validate_response
from services.forms.library import BUILTIN
from tests.unit.forms.helpers import form, q, when

N = ("Fråga", "Question")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["linkId", "answer", "item", "valueString", "valueCoding", "code",
                         "valueInteger", "resourceType", "status", "x"]), inner, max_size=4),
    max_leaves=30)
link_ids = st.sampled_from(sorted({i["linkId"] for v in SAMPLES.values() for i in v["item"]}))
items = st.fixed_dictionaries({"linkId": link_ids}, optional={"answer": json_values,
                                                              "item": json_values})


@settings(max_examples=300, deadline=None)
@given(service=st.sampled_from(sorted(BUILTIN)), body=json_values,
       lang=st.sampled_from(["sv", "en"]))
def test_never_crashes_on_arbitrary_json(service, body, lang):
    errors = validate_response(BUILTIN[service], body, lang=lang)
    assert errors and all(isinstance(e, FieldError) and e.message for e in errors)


@settings(max_examples=300, deadline=None)
@given(service=st.sampled_from(sorted(BUILTIN)), entries=st.lists(items, max_size=6))
def test_never_crashes_on_response_shaped_json(service, entries):
    body = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": entries}
    for error in validate_response(BUILTIN[service], body):
        assert error.code and error.message


@given(value=st.integers(min_value=-1000, max_value=1000),
       low=st.integers(min_value=-100, max_value=0), high=st.integers(min_value=0, max_value=100))
def test_integer_bounds_agree_with_the_oracle(value, low, high):
    definition = form(q("a", "integer", N, min_value=low, max_value=high))
    errors = validate_response(definition, response(ans("a", {"valueInteger": value})))
    assert (errors == []) == (low <= value <= high)


@given(value=st.text(max_size=40), limit=st.integers(min_value=1, max_value=30))
def test_string_length_and_single_line_agree_with_the_oracle(value, limit):
    definition = form(q("a", "string", N, max_length=limit, required=True))
    codes = {e.code for e in validate_response(definition, response(ans("a", s(value))))}
    if not value.strip():
        assert codes == {"required"}
    else:
        assert ("too_long" in codes) == (len(value) > limit)
        assert ("single_line" in codes) == ("\n" in value or "\r" in value)


OPS = {"=": operator.eq, "!=": operator.ne, ">": operator.gt, "<": operator.lt,
       ">=": operator.ge, "<=": operator.le}


@given(op=st.sampled_from(sorted(OPS)), answer=st.integers(-5, 5), expected=st.integers(-5, 5))
def test_enable_when_matches_python_comparison(op, answer, expected):
    definition = form(q("a", "integer", N), q("b", "string", N, show=when("a", op, expected)))
    assert ("b" in enabled_items(definition, {"a": [answer]})) == OPS[op](answer, expected)


@settings(deadline=None)
@given(service=st.sampled_from(sorted(BUILTIN)), data=st.data())
def test_dropping_any_answer_from_a_valid_sample_never_crashes(service, data):
    sample = SAMPLES[service]
    index = data.draw(st.integers(0, len(sample["item"]) - 1))
    trimmed = {**sample, "item": [i for n, i in enumerate(sample["item"]) if n != index]}
    for error in validate_response(BUILTIN[service], trimmed, lang="en"):
        assert error.code in {"required", "disabled"}
