"""FHIR R4 Questionnaire export of a form definition, and reading back one this service
exported (`from_fhir`; imports of other Questionnaires go through fhir_import).

Swedish is the resource language (`text`); English and any other language travel in the core
translation extension on the primitive (`_text`). Everything the model holds is exported, so
export then import gives the same form: codes with their systems, readOnly, initial values,
constraints as core extensions (minValue, maxValue, maxDecimalPlaces, minLength, regex,
questionnaire-unit, questionnaire-itemControl, questionnaire-hidden, mimeType, maxSize) and
whatever an import kept (e.g. SDC extraction extensions) unchanged."""

from __future__ import annotations

import json
from typing import Any

from services.forms.domain.fhir_features import CORE
from services.forms.domain.fhir_import import import_resource
from services.forms.domain.fhir_text import TRANSLATION, write_text
from services.forms.domain.model import CHOICE_TYPES, Coding, Condition, FormDefinition, Item
from services.forms.domain.values import CONDITION_KEY, OPTION_KEY, VALUE_KEY

__all__ = ["TRANSLATION", "from_fhir", "to_fhir"]
EXT = CORE
ITEM_CONTROL = "http://hl7.org/fhir/questionnaire-item-control"
BOUND_KEY = {"integer": "valueInteger", "decimal": "valueDecimal", "date": "valueDate",
             "dateTime": "valueDateTime", "time": "valueTime"}


def to_fhir(form: FormDefinition, *, url: str, version: str, status: str = "active",
            resource_id: str | None = None) -> dict[str, Any]:
    types = {item.link_id: item for item in _all(form.items)}
    resource: dict[str, Any] = {"resourceType": "Questionnaire"}
    if resource_id:
        resource["id"] = resource_id
    resource |= {"language": "sv", "url": url, "version": version, "status": status,
                 "subjectType": ["Patient"], **write_text("title", form.title)}
    if form.description:
        resource.update(write_text("description", form.description))
    resource |= _source(form)
    resource["item"] = [_item(item, types) for item in form.items]
    return resource


def _source(form: FormDefinition) -> dict[str, Any]:
    source = form.source
    if source is None:
        return {}
    out: dict[str, Any] = {}
    if source.url:
        out["derivedFrom"] = [f"{source.url}|{source.version}" if source.version else source.url]
    for key in ("name", "publisher", "copyright"):
        if getattr(source, key):
            out[key] = getattr(source, key)
    if source.codes:
        out["code"] = [_coding(c) for c in source.codes]
    if source.kept:
        out["extension"] = [json.loads(k) for k in source.kept]
    return out


def _all(items: tuple[Item, ...]):
    for item in items:
        yield item
        yield from _all(item.items)


def _coding(coding: Coding) -> dict[str, Any]:
    return coding.model_dump(exclude_none=True)


def _item(item: Item, types: dict[str, Item]) -> dict[str, Any]:
    out: dict[str, Any] = {"linkId": item.link_id}
    if item.definition:
        out["definition"] = item.definition
    if item.codes:
        out["code"] = [_coding(c) for c in item.codes]
    if item.prefix:
        out |= write_text("prefix", item.prefix)
    if item.text:
        out |= write_text("text", item.text)
    out["type"] = item.type
    if item.enable_when:
        out["enableWhen"] = [_condition(c, types[c.question]) for c in item.enable_when]
        out["enableBehavior"] = item.enable_behavior
    out |= {k: True for k, on in (("required", item.required), ("repeats", item.repeats),
                                  ("readOnly", item.read_only)) if on}
    if item.max_length is not None:
        out["maxLength"] = item.max_length
    if item.options:
        out["answerOption"] = [_option(o) for o in item.options]
    if item.initial:
        out["initial"] = [{VALUE_KEY[item.type]: v} for v in item.initial]
    if extensions := _extensions(item):
        out["extension"] = extensions
    if item.items:
        out["item"] = [_item(child, types) for child in item.items]
    return out


def _option(option: Any) -> dict[str, Any]:
    key = OPTION_KEY[option.kind]
    if option.kind == "coding":
        coding = {"system": option.system} if option.system else {}
        out: dict[str, Any] = {key: {**coding, "code": option.code,
                                     **write_text("display", option.text)}}
    else:
        value: Any = int(option.code) if option.kind == "integer" else option.code
        out = {key: value}
        if option.kind == "string":
            out |= write_text(key, option.text)
    if option.initial_selected:
        out["initialSelected"] = True
    if option.kept:
        out["extension"] = [json.loads(k) for k in option.kept]
    return out


def _condition(cond: Condition, target: Item) -> dict[str, Any]:
    out: dict[str, Any] = {"question": cond.question, "operator": cond.operator}
    if cond.operator == "exists":
        out["answerBoolean"] = cond.answer
    elif target.type in CHOICE_TYPES and target.options and target.options[0].kind != "coding":
        kind = target.options[0].kind
        value = int(cond.answer) if kind == "integer" else cond.answer
        out[OPTION_KEY[kind].replace("value", "answer")] = value
    elif target.type in CHOICE_TYPES:
        system = {"system": cond.system} if cond.system else {}
        out["answerCoding"] = {**system, "code": cond.answer}
    else:
        out[CONDITION_KEY[target.type]] = cond.answer
    return out


def _extensions(item: Item) -> list[dict[str, Any]]:
    bound = BOUND_KEY.get(item.type, "valueDecimal")
    values: list[tuple[str, str, Any]] = [
        ("minValue", bound, _bound(item, item.min_value)),
        ("maxValue", bound, _bound(item, item.max_value)),
        ("maxDecimalPlaces", "valueInteger", item.max_decimal_places),
        ("minLength", "valueInteger", item.min_length), ("regex", "valueString", item.regex),
        ("questionnaire-unit", "valueCoding", item.unit and _coding(item.unit)),
        ("questionnaire-itemControl", "valueCodeableConcept", item.control and {
            "coding": [{"system": ITEM_CONTROL, "code": item.control}]}),
        ("questionnaire-sliderStepValue", "valueInteger", _step(item.slider_step)),
        ("questionnaire-hidden", "valueBoolean", item.hidden or None),
        ("questionnaire-minOccurs", "valueInteger", item.min_occurs),
        ("questionnaire-maxOccurs", "valueInteger", item.max_occurs),
        *(("mimeType", "valueCode", t) for t in item.allowed_types),
        ("maxSize", "valueDecimal", item.max_size)]
    out = [{"url": EXT + name, key: value} for name, key, value in values if value is not None]
    return out + [json.loads(k) for k in item.kept]


def _bound(item: Item, value: Any) -> Any:
    if value is None or item.type != "integer":
        return value
    return int(value)


def _step(step: float | None) -> int | None:
    return None if step is None else int(step)


def from_fhir(resource: dict[str, Any]) -> FormDefinition:
    """The FormDefinition of a Questionnaire this service exported (or one written like it).
    Raises ValueError with the reasons if anything in it would be refused or dropped."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Questionnaire":
        raise ValueError("not a Questionnaire")
    [form] = import_resource(resource, source_language="sv", own=True)
    dropped = [w for w in form.warnings if w.code.startswith("dropped")]
    if form.definition is None or dropped:
        raise ValueError("; ".join(i.message("en") for i in form.problems + dropped))
    return form.definition
