"""enableWhen: every operator on every type it applies to, exists, all/any, nesting."""

import pytest

from services.forms.domain.enable import enabled_items
from services.forms.domain.values import parse_scalar
from tests.unit.forms.helpers import form, group, q, when, yes_no

N = ("Fråga", "Question")

ORDERED = [  # (type, low, high) raw JSON values with low < high
    ("integer", 3, 7), ("decimal", 36.5, 38.2), ("date", "2025-01-31", "2025-02-01"),
    ("dateTime", "2025-01-31T23:00:00+01:00", "2025-02-01T08:00:00Z"), ("string", "abc", "abd"),
]
EXPECT = {"=": (False, True, False), "!=": (True, False, True), ">": (True, False, False),
          "<": (False, False, True), ">=": (True, True, False), "<=": (False, True, True)}


def enabled(definition, answers) -> set[str]:
    parsed = {}
    for link_id, values in answers.items():
        item_type = next(i.type for i in _all(definition.items) if i.link_id == link_id)
        parsed[link_id] = [v if item_type == "choice" else parse_scalar(item_type, v)
                           for v in values]
    return enabled_items(definition, parsed)


def _all(items):
    for item in items:
        yield item
        yield from _all(item.items)


@pytest.mark.parametrize("operator", sorted(EXPECT))
@pytest.mark.parametrize("type_, low, high", ORDERED)
def test_ordered_operators(type_, low, high, operator):
    definition = form(q("a", type_, N), q("b", "string", N, show=when("a", operator, low)))
    # answer above, equal to and below the condition value
    for answer, expected in zip((high, low, None), EXPECT[operator], strict=True):
        if answer is None:
            definition = form(q("a", type_, N),
                              q("b", "string", N, show=when("a", operator, high)))
            answer = low
        assert ("b" in enabled(definition, {"a": [answer]})) is expected, (answer, operator)


@pytest.mark.parametrize("operator", ["=", "!="])
def test_equality_on_boolean_and_choice(operator):
    flag = form(q("a", "boolean", N), q("b", "string", N, show=when("a", operator, True)))
    assert ("b" in enabled(flag, {"a": [True]})) is (operator == "=")
    assert ("b" in enabled(flag, {"a": [False]})) is (operator == "!=")
    pick = form(yes_no("a"), q("b", "string", N, show=when("a", operator, "yes")))
    assert ("b" in enabled(pick, {"a": ["yes"]})) is (operator == "=")
    assert ("b" in enabled(pick, {"a": ["no"]})) is (operator == "!=")


@pytest.mark.parametrize("operator", sorted(EXPECT))
def test_no_answer_satisfies_only_not_equal(operator):
    """FHIR R4: `!=` holds when no answer equals the value, so an unanswered question
    enables the item; every other comparison needs an answer."""
    definition = form(q("a", "integer", N), q("b", "string", N, show=when("a", operator, 1)))
    assert ("b" in enabled(definition, {})) is (operator == "!=")


def test_not_equal_fails_when_any_repeated_answer_equals():
    definition = form(yes_no("a", repeats=True), q("b", "string", N, show=when("a", "!=", "no")))
    assert "b" not in enabled(definition, {"a": ["yes", "no"]})
    assert "b" in enabled(definition, {"a": ["yes"]})


@pytest.mark.parametrize(("behavior", "expected"), [("all", False), ("any", True)])
def test_enable_behavior_with_an_unanswered_question(behavior, expected):
    definition = form(q("a", "integer", N), q("c", "integer", N),
                      q("b", "string", N, show=(when("a", "!=", 1), when("c", "=", 2)),
                        enable_behavior=behavior))
    assert ("b" in enabled(definition, {})) is expected


def test_exists_true_and_false():
    definition = form(q("a", "string", N),
                      q("shown_if", "string", N, show=when("a", "exists", True)),
                      q("shown_unless", "string", N, show=when("a", "exists", False)))
    assert enabled(definition, {"a": ["x"]}) >= {"shown_if"}
    assert "shown_unless" not in enabled(definition, {"a": ["x"]})
    assert "shown_unless" in enabled(definition, {}) and "shown_if" not in enabled(definition, {})


def test_repeating_answers_match_if_any_answer_matches():
    definition = form(yes_no("a", repeats=True), q("b", "string", N, show=when("a", "=", "no")))
    assert "b" in enabled(definition, {"a": ["yes", "no"]})


@pytest.mark.parametrize("behavior, answers, expected", [
    ("all", {"x": [1], "y": [1]}, True), ("all", {"x": [1]}, False),
    ("any", {"x": [1]}, True), ("any", {}, False),
])
def test_enable_behavior(behavior, answers, expected):
    b = q("b", "string", N, enable_when=(when("x", "=", 1), when("y", "=", 1)),
          enable_behavior=behavior)
    definition = form(q("x", "integer", N), q("y", "integer", N), b)
    assert ("b" in enabled(definition, answers)) is expected


def test_a_disabled_group_disables_its_children_and_their_answers_count_as_none():
    definition = form(
        q("show", "boolean", N),
        group("g", N, q("g.a", "integer", N), show=when("show", "=", True)),
        q("after", "string", N, show=when("g.a", "exists", True)))
    assert enabled(definition, {"show": [True], "g.a": [1]}) >= {"g", "g.a", "after"}
    hidden = enabled(definition, {"show": [False], "g.a": [1]})
    assert not hidden & {"g", "g.a", "after"}
