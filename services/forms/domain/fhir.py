"""FHIR R4 Questionnaire export and import of a form definition.

Swedish is the resource language (`text`); English travels in the standard translation
extension on the primitive (`_text`). Numeric bounds, MIME types and file size use the core
extensions minValue, maxValue, mimeType and maxSize."""

from __future__ import annotations

from typing import Any

from services.forms.domain.model import Condition, FormDefinition, Item, Option, Text
from services.forms.domain.values import CONDITION_KEY

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
EXT = "http://hl7.org/fhir/StructureDefinition/"


def to_fhir(form: FormDefinition, *, url: str, version: str, status: str = "active",
            resource_id: str | None = None) -> dict[str, Any]:
    types = {item.link_id: item for item in _all(form.items)}
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire", "url": url, "version": version, "status": status,
        "language": "sv", "subjectType": ["Patient"], **_text("title", form.title),
        "item": [_item(item, types) for item in form.items]}
    if resource_id:
        resource["id"] = resource_id
    if form.description:
        resource.update(_text("description", form.description))
    return resource


def _all(items: tuple[Item, ...]):
    for item in items:
        yield item
        yield from _all(item.items)


def _text(name: str, text: Text) -> dict[str, Any]:
    translation = {"url": TRANSLATION, "extension": [
        {"url": "lang", "valueCode": "en"}, {"url": "content", "valueString": text.en}]}
    return {name: text.sv, f"_{name}": {"extension": [translation]}}


def _item(item: Item, types: dict[str, Item]) -> dict[str, Any]:
    out: dict[str, Any] = {"linkId": item.link_id, **_text("text", item.text), "type": item.type}
    if item.required:
        out["required"] = True
    if item.repeats:
        out["repeats"] = True
    if item.max_length is not None:
        out["maxLength"] = item.max_length
    if item.options:
        out["answerOption"] = [{"valueCoding": {"code": o.code, **_text("display", o.text)}}
                               for o in item.options]
    if item.enable_when:
        out["enableWhen"] = [_condition(c, types[c.question]) for c in item.enable_when]
        out["enableBehavior"] = item.enable_behavior
    if extensions := _extensions(item):
        out["extension"] = extensions
    if item.items:
        out["item"] = [_item(child, types) for child in item.items]
    return out


def _condition(cond: Condition, target: Item) -> dict[str, Any]:
    out: dict[str, Any] = {"question": cond.question, "operator": cond.operator}
    if cond.operator == "exists":
        out["answerBoolean"] = cond.answer
    elif target.type == "choice":
        out["answerCoding"] = {"code": cond.answer}
    else:
        out[CONDITION_KEY[target.type]] = cond.answer
    return out


def _extensions(item: Item) -> list[dict[str, Any]]:
    number = "valueInteger" if item.type == "integer" else "valueDecimal"
    out: list[dict[str, Any]] = []
    if item.min_value is not None:
        out.append({"url": EXT + "minValue", number: _num(item.type, item.min_value)})
    if item.max_value is not None:
        out.append({"url": EXT + "maxValue", number: _num(item.type, item.max_value)})
    out += [{"url": EXT + "mimeType", "valueCode": t} for t in item.allowed_types]
    if item.max_size is not None:
        out.append({"url": EXT + "maxSize", "valueDecimal": item.max_size})
    return out


def _num(item_type: str, value: float) -> float | int:
    return int(value) if item_type == "integer" else value


# import --------------------------------------------------------------------------------

def from_fhir(resource: dict[str, Any]) -> FormDefinition:
    """A FormDefinition from a Questionnaire this module (or an author following it) wrote.
    Raises ValueError (pydantic's ValidationError included) on anything else."""
    if resource.get("resourceType") != "Questionnaire":
        raise ValueError("not a Questionnaire")
    description = (_read_text(resource, "description") if "description" in resource else None)
    return FormDefinition(title=_read_text(resource, "title"), description=description,
                          items=tuple(_read_item(i) for i in resource.get("item", [])))


def _read_text(element: dict[str, Any], name: str) -> Text:
    english = element[name]
    for ext in element.get(f"_{name}", {}).get("extension", []):
        if ext.get("url") != TRANSLATION:
            continue
        parts = {e["url"]: e for e in ext.get("extension", [])}
        if parts.get("lang", {}).get("valueCode", "").startswith("en"):
            english = parts["content"]["valueString"]
    return Text(sv=element[name], en=english)


def _read_item(raw: dict[str, Any]) -> Item:
    ext = {e["url"].removeprefix(EXT): e for e in raw.get("extension", [])}
    value = lambda e: e.get("valueInteger", e.get("valueDecimal"))
    return Item(
        link_id=raw["linkId"], type=raw["type"], text=_read_text(raw, "text"),
        required=raw.get("required", False), repeats=raw.get("repeats", False),
        max_length=raw.get("maxLength"),
        min_value=value(ext["minValue"]) if "minValue" in ext else None,
        max_value=value(ext["maxValue"]) if "maxValue" in ext else None,
        options=tuple(Option(code=o["valueCoding"]["code"],
                             text=_read_text(o["valueCoding"], "display"))
                      for o in raw.get("answerOption", [])),
        allowed_types=tuple(e["valueCode"] for e in raw.get("extension", [])
                            if e["url"] == EXT + "mimeType"),
        max_size=int(ext["maxSize"]["valueDecimal"]) if "maxSize" in ext else None,
        enable_when=tuple(_read_condition(c) for c in raw.get("enableWhen", [])),
        enable_behavior=raw.get("enableBehavior", "all"),
        items=tuple(_read_item(i) for i in raw.get("item", [])))


def _read_condition(raw: dict[str, Any]) -> Condition:
    key = next((k for k in raw if k.startswith("answer")), None)
    if key is None:
        raise ValueError(f"enableWhen on {raw.get('question')} has no answer")
    answer = raw[key]["code"] if key == "answerCoding" else raw[key]
    return Condition(question=raw["question"], operator=raw["operator"], answer=answer)
