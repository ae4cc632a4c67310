"""enableWhen (FHIR R4): which items are enabled given the answers.

An item is enabled when its parent is and its conditions hold (all of them, or any with
enableBehavior "any"). Conditions only look at earlier questions (check_definition ensures
it), so one pass in document order suffices, and an answer to a disabled question counts as
no answer, as FHIR prescribes. Questions inside repeating groups are looked up form-wide."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.forms.domain.model import CHOICE_TYPES, Condition, FormDefinition, Item, walk
from services.forms.domain.values import compare, parse_scalar


def enabled_items(form: FormDefinition, answers: Mapping[str, Sequence[Any]]) -> set[str]:
    """Link ids of enabled items. `answers` maps link id -> parsed values (choice: codes)."""
    by_id = {item.link_id: item for item, _ in walk(form.items)}
    enabled: set[str] = set()
    for item, parent in walk(form.items):
        if parent is not None and parent.link_id not in enabled:
            continue
        visible = {k: v for k, v in answers.items() if k in enabled}
        if is_enabled(item, visible, by_id):
            enabled.add(item.link_id)
    return enabled


def is_enabled(item: Item, answers: Mapping[str, Sequence[Any]],
               by_id: Mapping[str, Item]) -> bool:
    if not item.enable_when:
        return True
    results = (holds(c, answers.get(c.question, ()), by_id[c.question])
               for c in item.enable_when)
    return any(results) if item.enable_behavior == "any" else all(results)


def holds(cond: Condition, values: Sequence[Any], target: Item) -> bool:
    """FHIR R4: `exists` tests for an answer; `!=` holds when no answer equals the value, so
    it holds for an unanswered question (as the common renderers do); every other operator
    needs an answer that satisfies it."""
    if cond.operator == "exists":
        return bool(values) == cond.answer
    # Choice answers are option codes (model.Option), so they compare as text.
    expected = cond.answer if target.type in CHOICE_TYPES else \
        parse_scalar(target.type, cond.answer)
    if cond.operator == "!=":
        return not any(compare("=", value, expected) for value in values)
    return any(compare(cond.operator, value, expected) for value in values)
