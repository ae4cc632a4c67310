"""A form definition: a FHIR R4 Questionnaire-shaped tree of items, every text in Swedish and
English side by side (exported to FHIR as `text` in Swedish plus the translation extension).

`check_definition` holds the rules FHIR leaves to the author: unique link ids, options only on
choice items, an enableWhen that points at an earlier question with a fitting answer type."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Lang = Literal["sv", "en"]
LANGS: tuple[Lang, ...] = ("sv", "en")

ItemType = Literal["group", "display", "string", "text", "boolean", "integer", "decimal",
                   "date", "dateTime", "choice", "attachment"]
Operator = Literal["exists", "=", "!=", ">", "<", ">=", "<="]
ORDERED_TYPES = {"integer", "decimal", "date", "dateTime", "string", "text"}
QUESTION_TYPES = {"string", "text", "boolean", "integer", "decimal", "date", "dateTime",
                  "choice", "attachment"}
Scalar = bool | int | float | str


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(Model):
    sv: str = Field(min_length=1, max_length=2000)
    en: str = Field(min_length=1, max_length=2000)

    def __call__(self, lang: Lang) -> str:
        return self.en if lang == "en" else self.sv


class Option(Model):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")
    text: Text


class Condition(Model):
    """enableWhen: `answer` is a code for choice questions, ISO text for dates."""

    question: str
    operator: Operator
    answer: Scalar


class Item(Model):
    link_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    type: ItemType
    text: Text
    required: bool = False
    repeats: bool = False
    max_length: int | None = Field(default=None, ge=1, le=100_000)
    min_value: float | None = None
    max_value: float | None = None
    options: tuple[Option, ...] = ()
    allowed_types: tuple[str, ...] = ()  # attachment MIME types
    max_size: int | None = Field(default=None, ge=1)  # attachment bytes
    enable_when: tuple[Condition, ...] = ()
    enable_behavior: Literal["all", "any"] = "all"
    items: tuple[Item, ...] = ()

    @property
    def is_question(self) -> bool:
        return self.type in QUESTION_TYPES


class FormDefinition(Model):
    title: Text
    description: Text | None = None
    items: tuple[Item, ...] = Field(min_length=1)


def walk(items: tuple[Item, ...], parent: Item | None = None) -> Iterator[tuple[Item, Item | None]]:
    """Every item with its parent, in document order."""
    for item in items:
        yield item, parent
        yield from walk(item.items, item)


class DefinitionError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def check_definition(form: FormDefinition) -> FormDefinition:
    """Return the form if it is well-formed, else raise DefinitionError with every problem."""
    problems: list[str] = []
    seen: dict[str, Item] = {}
    for item, _ in walk(form.items):
        problems += _item_problems(item, seen)
        seen[item.link_id] = item
    if problems:
        raise DefinitionError(problems)
    return form


def _item_problems(item: Item, earlier: dict[str, Item]) -> list[str]:
    where = f"{item.link_id}:"
    out = [f"{where} duplicate linkId"] if item.link_id in earlier else []
    if (item.type == "choice") != bool(item.options):
        out.append(f"{where} answer options belong to (and are needed by) choice items")
    if len({o.code for o in item.options}) != len(item.options):
        out.append(f"{where} duplicate option code")
    if item.items and item.type != "group":
        out.append(f"{where} only groups have child items")
    if item.type == "group" and not item.items:
        out.append(f"{where} a group needs child items")
    if item.type == "display" and (item.required or item.repeats):
        out.append(f"{where} display items are never required or repeated")
    if item.max_length is not None and item.type not in ("string", "text"):
        out.append(f"{where} maxLength applies to string and text items")
    if (item.min_value, item.max_value) != (None, None) and item.type not in ("integer", "decimal"):
        out.append(f"{where} min/max values apply to integer and decimal items")
    if (item.allowed_types or item.max_size) and item.type != "attachment":
        out.append(f"{where} allowed types and max size apply to attachments")
    for cond in item.enable_when:
        out += [f"{where} {p}" for p in _condition_problems(cond, item, earlier)]
    return out


def _condition_problems(cond: Condition, item: Item, earlier: dict[str, Item]) -> list[str]:
    target = earlier.get(cond.question)
    if target is None or target is item:
        return [f"enableWhen must refer to an earlier question ({cond.question})"]
    if not target.is_question:
        return [f"enableWhen refers to {cond.question}, which is not a question"]
    if cond.operator == "exists":
        return [] if isinstance(cond.answer, bool) else ["'exists' takes true or false"]
    if cond.operator in (">", "<", ">=", "<=") and target.type not in ORDERED_TYPES:
        return [f"'{cond.operator}' cannot compare {target.type} answers"]
    if not condition_answer_fits(cond.answer, target):
        return [f"enableWhen answer does not fit {target.type} question {cond.question}"]
    return []


def condition_answer_fits(answer: Scalar, target: Item) -> bool:
    from services.forms.domain import values  # values depends on this module

    if target.type == "choice":
        return isinstance(answer, str) and answer in {o.code for o in target.options}
    return values.parse_scalar(target.type, answer) is not None
