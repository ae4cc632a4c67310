"""Property: export then import of any valid form gives the same form (hypothesis builds
forms with every item type, options of every value type, codes, constraints, initial values,
controls, follow-up questions, enableWhen and translations), and the export is valid R4."""

from __future__ import annotations

import re
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from services.forms.domain.fhir import from_fhir, to_fhir
from services.forms.domain.model import (
    FHIR_STRING,
    Coding,
    Condition,
    DefinitionError,
    FormDefinition,
    Item,
    Option,
    Source,
    Text,
    check_definition,
)

words = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12).filter(
    lambda s: re.fullmatch(FHIR_STRING, s) is not None)
codes = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,8}", fullmatch=True)
systems = st.none() | st.sampled_from(["http://loinc.org", "http://snomed.info/sct", "urn:x"])
texts = st.builds(
    Text, sv=words, en=words,
    more=st.lists(st.tuples(st.sampled_from(["ar", "de", "fi", "so"]), words), max_size=2,
                  unique_by=lambda p: p[0]).map(lambda p: tuple(sorted(p))))
codings = st.builds(Coding, system=systems, code=codes, display=st.none() | words)
SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "boolean": st.booleans(), "integer": st.integers(-1000, 1000),
    "decimal": st.floats(-1000, 1000, allow_nan=False).map(lambda f: round(f, 3)),
    "date": st.dates().map(lambda d: d.isoformat()),
    "dateTime": st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(
        lambda d: d.replace(microsecond=0).isoformat().replace("+00:00", "Z")),
    "time": st.times().map(lambda t: t.replace(microsecond=0).isoformat()),
    "string": words, "text": words}
OPTION_VALUES = {"coding": codes, "string": codes, "integer": st.integers(0, 99).map(str),
                 "date": SCALARS["date"], "time": SCALARS["time"]}


@st.composite
def options(draw) -> tuple[Option, ...]:
    kind = draw(st.sampled_from(sorted(OPTION_VALUES)))
    values = draw(st.lists(OPTION_VALUES[kind], min_size=1, max_size=4, unique=True))
    out = []
    for value in values:
        text = draw(texts) if kind in ("coding", "string") else Text(sv=value, en=value)
        if kind == "string":
            text = text.model_copy(update={"sv": value})
        out.append(Option(code=value, text=text, kind=kind,
                          system=draw(systems) if kind == "coding" else None,
                          initial_selected=draw(st.booleans())))
    return tuple(out)


@st.composite
def question(draw, link_id: str, earlier: list[Item]) -> Item:
    kind = draw(st.sampled_from([*SCALARS, "choice", "open-choice", "quantity"]))
    fields: dict[str, Any] = {"link_id": link_id, "type": kind, "text": draw(texts),
                              "required": draw(st.booleans()), "codes": tuple(draw(
                                  st.lists(codings, max_size=2))),
                              "read_only": draw(st.booleans()), "prefix": draw(
                                  st.none() | texts), "definition": draw(st.none() | words)}
    if kind in ("choice", "open-choice"):
        fields["options"] = draw(options()) if kind == "choice" else draw(
            st.just(()) | options())
        fields["control"] = draw(st.sampled_from([None, "drop-down", "radio-button",
                                                  "check-box"]))
    elif kind in ("integer", "decimal", "date", "dateTime", "time"):
        low, high = sorted(draw(st.lists(SCALARS[kind], min_size=2, max_size=2)))
        fields |= {"min_value": low, "max_value": high}
        fields["initial"] = (draw(SCALARS[kind]),) if draw(st.booleans()) else ()
    elif kind in ("string", "text"):
        fields |= {"max_length": draw(st.none() | st.integers(5, 100)),
                   "min_length": draw(st.none() | st.integers(0, 4)),
                   "regex": draw(st.none() | st.just("[a-z]+"))}
    elif kind == "quantity":
        fields |= {"unit": draw(codings), "max_decimal_places": draw(st.none() | st.integers(0, 3))}
    if kind == "decimal":
        fields["max_decimal_places"] = draw(st.none() | st.integers(0, 3))
    targets = [t for t in earlier if t.type in SCALARS or t.type == "choice"]
    if targets and draw(st.booleans()):
        fields["enable_when"] = (draw(condition(targets)),)
        fields["enable_behavior"] = draw(st.sampled_from(["all", "any"]))
    return Item(**fields)


@st.composite
def condition(draw, targets: list[Item]) -> Condition:
    target = draw(st.sampled_from(targets))
    if draw(st.booleans()):
        return Condition(question=target.link_id, operator="exists", answer=draw(st.booleans()))
    if target.type == "choice":
        option = draw(st.sampled_from(target.options))
        system = option.system if option.kind == "coding" else None
        return Condition(question=target.link_id, operator=draw(st.sampled_from(["=", "!="])),
                         answer=option.code, system=system)
    ops = ["=", "!="] if target.type == "boolean" else ["=", "!=", "<", ">", "<=", ">="]
    return Condition(question=target.link_id, operator=draw(st.sampled_from(ops)),
                     answer=draw(SCALARS[target.type]))


@st.composite
def forms(draw) -> FormDefinition:
    items: list[Item] = []
    shapes = st.sampled_from(["q{}", "/8867-{}", "1.{}", "item-{}.a"])
    for n in range(draw(st.integers(1, 6))):
        link_id = draw(shapes).format(n)
        item = draw(question(link_id, items))
        if draw(st.booleans()):  # a follow-up question, or wrap in a group
            follow = draw(question(f"{link_id}.f", [*items, item]))
            item = item.model_copy(update={"items": (follow,)})
        if draw(st.booleans()):
            item = Item(link_id=f"g{n}", type="group", text=draw(st.none() | texts),
                        items=(item,), repeats=draw(st.booleans()))
        items.append(item)
    source = draw(st.none() | st.builds(Source, url=st.just("http://example.org/Q/1"),
                                        version=st.none() | st.just("2.0"),
                                        name=st.none() | words, codes=st.lists(
                                            codings, max_size=1).map(tuple)))
    try:
        return check_definition(FormDefinition(
            title=draw(texts), description=draw(st.none() | texts), items=tuple(items),
            source=source))
    except DefinitionError:
        assume(False)
        raise


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.filter_too_much])
@given(form=forms())
def test_export_then_import_gives_the_same_form(form):
    exported = to_fhir(form, url="https://forms.example/Questionnaire/f", version="3")
    Questionnaire.model_validate(exported)
    assert from_fhir(exported) == form
