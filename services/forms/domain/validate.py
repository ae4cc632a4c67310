"""Server-side validation of a QuestionnaireResponse-shaped answer set against one exact
form version, with field-level errors in Swedish or English.

Decisions: an answer to an item that enableWhen disables is an *error* ("disabled"), not
silently dropped, so nothing is stored that the patient was never shown (FHIR also says a
response holds no answers for disabled items). A whitespace-only string counts as no answer.
Required children of an optional group are checked only when the group was answered."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from services.forms.domain import constraints, i18n
from services.forms.domain.enable import enabled_items
from services.forms.domain.model import CHOICE_TYPES, FormDefinition, Item, Lang
from services.forms.domain.values import option_code, parse_scalar, value_key

DEFAULT_MAX_LENGTH = {"string": 500, "text": 10_000, "open-choice": 500}
RESPONSE_STATUSES = {"completed"}


@dataclass(frozen=True)
class FieldError:
    link_id: str | None
    path: str  # e.g. item[1].item[0].answer[0]
    code: str
    message: str


@dataclass
class _Node:
    item: Item
    path: str
    values: list[Any] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)

    def answered(self) -> bool:
        return bool(self.values) or any(c.answered() for c in self.children)


def validate_response(form: FormDefinition, response: Any, *, lang: Lang = "sv",
                      canonical: str | None = None) -> list[FieldError]:
    """Every problem with `response`; an empty list means it may be submitted."""
    return _Validator(form, lang).run(response, canonical)


class _Validator:
    def __init__(self, form: FormDefinition, lang: Lang) -> None:
        self.form, self.lang = form, lang
        self.errors: list[FieldError] = []

    def fail(self, code: str, path: str, item: Item | None = None, **values: object) -> None:
        label = item.label(self.lang)[:80] if item else ""
        link_id = item.link_id if item else values.pop("link_id", None)
        self.errors.append(FieldError(link_id, path, code, i18n.message(
            code, self.lang, label=label, link_id=link_id, **values)))

    def run(self, response: Any, canonical: str | None) -> list[FieldError]:
        if not isinstance(response, dict) or response.get("resourceType") != "QuestionnaireResponse":
            self.fail("malformed", "", detail="resourceType QuestionnaireResponse")
            return self.errors
        if canonical and response.get("questionnaire", canonical) != canonical:
            self.fail("wrong_questionnaire", "questionnaire")
        if response.get("status", "completed") not in RESPONSE_STATUSES:
            self.fail("not_completed", "status")
        nodes = self.level(self.form.items, response.get("item"), "")
        answers: dict[str, list[Any]] = {}
        for node in _flatten(nodes):
            answers.setdefault(node.item.link_id, []).extend(node.values)
        enabled = enabled_items(self.form, answers)
        for node in _flatten(nodes):
            if node.values and node.item.link_id not in enabled:
                self.fail("disabled", node.path, node.item)
            for code, values in constraints.fixed_problems(node.item, node.values):
                self.fail(code, node.path, node.item, **values)
        self.required(self.form.items, nodes, "", enabled)
        return self.errors

    def level(self, defs: tuple[Item, ...], raw: Any, prefix: str) -> list[_Node]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.fail("malformed", f"{prefix}item", detail="item must be a list")
            return []
        by_id, seen, nodes = {d.link_id: d for d in defs}, Counter[str](), []
        for i, entry in enumerate(raw):
            path = f"{prefix}item[{i}]"
            link_id = entry.get("linkId") if isinstance(entry, dict) else None
            if not isinstance(link_id, str):
                self.fail("malformed", path, detail="linkId missing")
                continue
            item = by_id.get(link_id)
            if item is None:
                self.fail("unknown_item", path, link_id=link_id[:64])
                continue
            seen[link_id] += 1
            if seen[link_id] > 1 and not (item.type == "group" and item.repeats):
                self.fail("duplicate_item", path, item)
                continue
            nodes.append(self.node(item, entry, path))
        return nodes

    def node(self, item: Item, entry: dict, path: str) -> _Node:
        if item.type in ("group", "display"):
            if entry.get("answer"):
                self.fail("not_a_question", path, item)
            children = self.level(item.items, entry.get("item"), f"{path}.")
            return _Node(item, path, children=children)
        if "item" in entry:
            self.fail("malformed", path, detail="a question has no child items")
        node = _Node(item, path, values=self.answers(item, entry.get("answer"), path))
        node.children = self.follow_ups(item, entry.get("answer"), path)
        return node

    def answers(self, item: Item, raw: Any, path: str) -> list[Any]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.fail("malformed", f"{path}.answer", detail="answer must be a list")
            return []
        if len(raw) > 1 and not item.repeats:
            self.fail("too_many_answers", f"{path}.answer", item)
        values: list[Any] = []
        for j, answer in enumerate(raw):
            value = self.answer(item, answer, f"{path}.answer[{j}]")
            if value is None:
                continue
            if value in values:
                self.fail("duplicate_answer", f"{path}.answer[{j}]", item)
                continue
            values.append(value)
        return values

    def answer(self, item: Item, answer: Any, path: str) -> Any:
        key = value_key(item)
        if not isinstance(answer, dict) or ("item" in answer and not item.items):
            self.fail("malformed", path, detail="an answer is one value[x]")
            return None
        given = [k for k in answer if k.startswith("value")]
        if given == ["valueString"] and item.type == "open-choice":
            return self.string(item, answer["valueString"], path)
        if given != [key]:
            self.fail("wrong_type", path, item)
            return None
        raw = answer[key]
        if item.type in CHOICE_TYPES:
            return self.choice(item, raw, path)
        if item.type == "attachment":
            return self.attachment(item, raw, path)
        value = parse_scalar(item.type, raw)
        if value is None:
            self.fail("wrong_type", path, item)
        elif isinstance(value, str):
            return self.string(item, value, path)
        elif not isinstance(value, bool):
            self.bounds(item, value, path, raw)
        return value

    def string(self, item: Item, value: str, path: str) -> str | None:
        if not value.strip():
            return None
        limit = item.max_length or DEFAULT_MAX_LENGTH[item.type]
        if len(value) > limit:
            self.fail("too_long", path, item, limit=limit)
        if item.type == "string" and ("\n" in value or "\r" in value):
            self.fail("single_line", path, item)
        for code, values in constraints.text_problems(item, value):
            self.fail(code, path, item, **values)
        return value

    def bounds(self, item: Item, value: Any, path: str, raw: Any) -> None:
        for code, values in constraints.bound_problems(item, value, raw):
            self.fail(code, path, item, **values)

    def choice(self, item: Item, raw: Any, path: str) -> str | None:
        code = option_code(item.options[0].kind if item.options else "coding", raw)
        if code is not None and item.type == "open-choice" and not item.options:
            return code
        if not isinstance(code, str):
            self.fail("wrong_type", path, item)
            return None
        if code not in {o.code for o in item.options}:
            self.fail("invalid_option", path, item)
            return None
        return code

    def attachment(self, item: Item, raw: Any, path: str) -> str | None:
        url = raw.get("url") if isinstance(raw, dict) else None
        if not isinstance(url, str) or not url.strip() or len(url) > 2000 or "data" in raw:
            self.fail("attachment_reference", path, item)
            return None
        if item.allowed_types and raw.get("contentType") not in item.allowed_types:
            self.fail("attachment_type", path, item)
        size = raw.get("size")
        if item.max_size and (not isinstance(size, int) or isinstance(size, bool)
                              or not 0 <= size <= item.max_size):
            self.fail("attachment_size", path, item)
        return url

    def required(self, defs: tuple[Item, ...], nodes: list[_Node], prefix: str,
                 enabled: set[str]) -> None:
        for item in defs:
            if item.link_id not in enabled or item.type == "display":
                continue
            present = [n for n in nodes if n.item is item]
            if item.required and not any(n.answered() for n in present):
                self.fail("required", f"{prefix}item", item)
            self.occurs(item, present, prefix)
            for node in present if item.items else []:
                self.required(item.items, node.children, f"{node.path}.", enabled)

    def occurs(self, item: Item, present: list[_Node], prefix: str) -> None:
        """questionnaire-minOccurs/maxOccurs: answers of a question, repetitions of a group
        (minOccurs only once the item is answered at all; `required` covers the rest)."""
        count = len(present) if item.type == "group" else sum(len(n.values) for n in present)
        if item.max_occurs is not None and count > item.max_occurs:
            self.fail("too_many", f"{prefix}item", item, limit=item.max_occurs)
        if item.min_occurs is not None and 0 < count < item.min_occurs:
            self.fail("too_few", f"{prefix}item", item, limit=item.min_occurs)

    def follow_ups(self, item: Item, raw: Any, path: str) -> list[_Node]:
        """Items nested under a question (FHIR: in the response under answer[].item)."""
        if not item.items or not isinstance(raw, list):
            return []
        children: list[_Node] = []
        for j, answer in enumerate(raw):
            if isinstance(answer, dict) and "item" in answer:
                children += self.level(item.items, answer["item"], f"{path}.answer[{j}].")
        return children


def _flatten(nodes: list[_Node]):
    for node in nodes:
        yield node
        yield from _flatten(node.children)

