"""A form definition: a FHIR R4 Questionnaire-shaped tree of items, every text in Swedish and
English side by side (exported to FHIR as `text` in Swedish plus the translation extension).

`check_definition` holds the rules FHIR leaves to the author: unique link ids, options only on
choice items, an enableWhen that points at an earlier question with a fitting answer type."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Lang = Literal["sv", "en"]
LANGS: tuple[Lang, ...] = ("sv", "en")

ItemType = Literal["group", "display", "string", "text", "boolean", "integer", "decimal",
                   "date", "dateTime", "time", "choice", "open-choice", "quantity",
                   "attachment"]
Operator = Literal["exists", "=", "!=", ">", "<", ">=", "<="]
ORDERED_TYPES = {"integer", "decimal", "date", "dateTime", "time", "string", "text"}
QUESTION_TYPES = {"string", "text", "boolean", "integer", "decimal", "date", "dateTime", "time",
                  "choice", "open-choice", "quantity", "attachment"}
CHOICE_TYPES = {"choice", "open-choice"}
BOUNDED_TYPES = {"integer", "decimal", "date", "dateTime", "time"}
# questionnaire-itemControl codes with behaviour here (see render and validate).
Control = Literal["drop-down", "radio-button", "check-box", "slider"]
OptionKind = Literal["coding", "string", "integer", "date", "time"]
Scalar = bool | int | float | str


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# FHIR's code and id shapes: no leading/trailing or double whitespace.
CODE = r"^[^\s]+( [^\s]+)*$"
# FHIR's string: no whitespace other than space, tab, CR and LF (so that exports validate).
FHIR_STRING = r"^[ \r\n\t\S]+$"


LangTag = Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", max_length=35)]
FhirString = Annotated[str, Field(min_length=1, max_length=4000, pattern=FHIR_STRING)]


class Text(Model):
    """A text in Swedish and English; `more` keeps any other language it came with
    ((language tag, text) pairs), so an imported form exports with all its translations."""

    sv: str = Field(min_length=1, max_length=4000, pattern=FHIR_STRING)
    en: str = Field(min_length=1, max_length=4000, pattern=FHIR_STRING)
    more: tuple[tuple[LangTag, FhirString], ...] = Field(default=(), max_length=50)

    def __call__(self, lang: Lang) -> str:
        return self.en if lang == "en" else self.sv


class Coding(Model):
    """A code as it came (LOINC, SNOMED CT, local): system and code kept verbatim."""

    system: str | None = Field(default=None, max_length=1000)
    code: str = Field(min_length=1, max_length=256, pattern=CODE)
    display: str | None = Field(default=None, max_length=4000)
    version: str | None = Field(default=None, max_length=200)


class Option(Model):
    """One answer option. `code` is what an answer must carry: the code of a coding, or the
    value itself (as text) for string, integer, date and time options."""

    code: str = Field(min_length=1, max_length=256, pattern=CODE)
    text: Text
    kind: OptionKind = "coding"
    system: str | None = Field(default=None, max_length=1000)
    initial_selected: bool = False
    kept: tuple[str, ...] = Field(default=(), max_length=10)  # e.g. ordinalValue, as JSON


class Condition(Model):
    """enableWhen: `answer` is a code for choice questions, ISO text for dates and times."""

    question: str
    operator: Operator
    answer: Scalar
    system: str | None = Field(default=None, max_length=1000)


class Item(Model):
    link_id: str = Field(min_length=1, max_length=255, pattern=r"^[^\s]+$")
    type: ItemType
    text: Text | None = None  # only groups and display items may go without
    prefix: Text | None = None
    definition: str | None = Field(default=None, max_length=1000)
    codes: tuple[Coding, ...] = Field(default=(), max_length=50)
    required: bool = False
    repeats: bool = False
    read_only: bool = False
    hidden: bool = False
    max_length: int | None = Field(default=None, ge=1, le=100_000)
    min_length: int | None = Field(default=None, ge=0, le=100_000)
    regex: str | None = Field(default=None, max_length=500)
    min_value: float | str | None = None  # numbers; ISO text for date, dateTime and time
    max_value: float | str | None = None
    max_decimal_places: int | None = Field(default=None, ge=0, le=20)
    unit: Coding | None = None
    control: Control | None = None
    slider_step: float | None = Field(default=None, gt=0)
    min_occurs: int | None = Field(default=None, ge=1, le=1000)  # answers or repetitions
    max_occurs: int | None = Field(default=None, ge=1, le=1000)
    options: tuple[Option, ...] = Field(default=(), max_length=2000)
    initial: tuple[Scalar, ...] = Field(default=(), max_length=100)
    allowed_types: tuple[str, ...] = ()  # attachment MIME types
    max_size: int | None = Field(default=None, ge=1)  # attachment bytes
    enable_when: tuple[Condition, ...] = ()
    enable_behavior: Literal["all", "any"] = "all"
    items: tuple[Item, ...] = ()
    # Extensions that only matter after submission (e.g. SDC extraction), as JSON text:
    # carried through to export unchanged so that a round trip loses nothing.
    kept: tuple[str, ...] = Field(default=(), max_length=50)

    @property
    def is_question(self) -> bool:
        return self.type in QUESTION_TYPES

    def label(self, lang: Lang) -> str:
        return self.text(lang) if self.text else self.link_id


class Source(Model):
    """Where an imported form came from and what it was called there; kept for export."""

    url: str | None = Field(default=None, max_length=1000)
    version: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=500)
    publisher: str | None = Field(default=None, max_length=1000)
    copyright: str | None = Field(default=None, max_length=10_000)
    codes: tuple[Coding, ...] = Field(default=(), max_length=50)
    kept: tuple[str, ...] = Field(default=(), max_length=50)


class FormDefinition(Model):
    title: Text
    description: Text | None = None
    items: tuple[Item, ...] = Field(min_length=1)
    source: Source | None = None


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
    for item, parent in walk(form.items):
        problems += _item_problems(item, seen)
        # A question without text is the FHIR "please specify" follow-up of a question.
        if item.text is None and item.is_question and not (parent and parent.is_question):
            problems.append(f"{item.link_id}: a question needs a text")
        seen[item.link_id] = item
    if problems:
        raise DefinitionError(problems)
    return form


def _item_problems(item: Item, earlier: dict[str, Item]) -> list[str]:
    where = f"{item.link_id}:"
    out = [f"{where} duplicate linkId"] if item.link_id in earlier else []
    if (item.type in CHOICE_TYPES) != bool(item.options) and item.type != "open-choice":
        out.append(f"{where} answer options belong to (and are needed by) choice items")
    if len({o.code for o in item.options}) != len(item.options):
        out.append(f"{where} duplicate option code")
    if len({o.kind for o in item.options}) > 1:
        out.append(f"{where} answer options must all have the same value type")
    if item.items and item.type == "display":
        out.append(f"{where} display items have no child items")
    if item.type == "group" and not item.items:
        out.append(f"{where} a group needs child items")
    if item.type == "display" and (item.required or item.repeats):
        out.append(f"{where} display items are never required or repeated")
    return out + _constraint_problems(item, where) + [
        f"{where} {p}" for c in item.enable_when for p in _condition_problems(c, item, earlier)]


def _constraint_problems(item: Item, where: str) -> list[str]:
    out: list[str] = []
    text_like = item.type in ("string", "text", "open-choice")
    # On a choice item the lengths can never fail (answers are codes), so they are allowed.
    lengths = (item.max_length, item.min_length) != (None, None)
    if lengths and not text_like and item.type != "choice":
        out.append(f"{where} maxLength/minLength apply to string and text items")
    if item.regex is not None and not text_like:
        out.append(f"{where} regex applies to string and text items")
    if item.regex is not None and _bad_regex(item.regex):
        out.append(f"{where} regex is not a valid regular expression")
    if (item.min_value, item.max_value) != (None, None) and item.type not in BOUNDED_TYPES:
        out.append(f"{where} min/max values apply to numbers, dates and times")
    if item.max_decimal_places is not None and item.type not in ("decimal", "quantity"):
        out.append(f"{where} maxDecimalPlaces applies to decimal and quantity items")
    if item.unit is not None and item.type not in ("decimal", "integer", "quantity"):
        out.append(f"{where} a unit applies to numbers and quantities")
    if (item.allowed_types or item.max_size) and item.type != "attachment":
        out.append(f"{where} allowed types and max size apply to attachments")
    out += [f"{where} {p}" for p in _control_problems(item)]
    if item.initial and (item.type in CHOICE_TYPES and item.options):
        out.append(f"{where} choice items mark initial options with initialSelected")
    if (item.min_occurs or item.max_occurs) and not item.repeats:
        out.append(f"{where} minOccurs/maxOccurs apply to repeating items")
    if len(item.initial) > 1 and not item.repeats:
        out.append(f"{where} several initial values need a repeating item")
    return out


def _control_problems(item: Item) -> list[str]:
    if item.control in ("drop-down", "radio-button", "check-box"):
        if item.type not in CHOICE_TYPES:
            return [f"{item.control} applies to choice items"]
        if item.control in ("drop-down", "radio-button") and item.repeats:
            return [f"{item.control} allows one answer but the item repeats"]
    numeric = all(isinstance(v, int | float) for v in (item.min_value, item.max_value))
    if item.control == "slider" and (item.type not in ("integer", "decimal") or not numeric):
        return ["a slider needs an integer or decimal item with minValue and maxValue"]
    if item.slider_step is not None and item.control != "slider":
        return ["sliderStepValue applies to slider items"]
    return []


def _bad_regex(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return True
    return False


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

    if target.type in CHOICE_TYPES:
        return isinstance(answer, str) and (
            answer in {o.code for o in target.options} or target.type == "open-choice")
    return values.parse_scalar(target.type, answer) is not None
