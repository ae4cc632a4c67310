"""Reading Questionnaire items into the model, recording every feature it cannot honour
(refusals) or drops (warnings) with the item's linkId path. Used by fhir_import."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from services.forms.domain import fhir_features as F
from services.forms.domain.fhir_options import read_options
from services.forms.domain.fhir_text import other_extensions, read_texts, to_text
from services.forms.domain.model import CHOICE_TYPES, Coding, Item, Text

ITEM_TYPES = {"group", "display", "string", "text", "boolean", "integer", "decimal", "date",
              "dateTime", "time", "choice", "open-choice", "quantity", "attachment"}
HANDLED = {"linkId", "type", "text", "_text", "prefix", "_prefix", "definition", "code",
           "required", "repeats", "readOnly", "maxLength", "enableWhen", "enableBehavior",
           "answerOption", "answerValueSet", "initial", "item", "extension", "id"}
INITIAL_KEYS = {"valueBoolean", "valueDecimal", "valueInteger", "valueDate", "valueDateTime",
                "valueTime", "valueString", "valueCoding"}
ANSWER_KEYS = {"answerBoolean", "answerDecimal", "answerInteger", "answerDate",
               "answerDateTime", "answerTime", "answerString", "answerCoding"}
MAX_ITEMS = 2000
MAX_DEPTH = 12  # levels of nested items; real forms use a handful


class Reader:
    """One Questionnaire's reading state: its language, contained resources and findings."""

    def __init__(self, base: str, contained: list[Any],
                 bundled: dict[str, Any] | None = None) -> None:
        self.base = base
        self.contained = {r.get("id"): r for r in contained if isinstance(r, dict)}
        self.bundled = bundled or {}  # ValueSets of the same Bundle, by fullUrl and url
        self.problems: list[F.Issue] = []
        self.warnings: list[F.Issue] = []
        self.languages: set[str] = set()
        self.count = 0
        self.types: dict[Any, Any] = {}

    def scan(self, raw: Any) -> None:
        """linkId -> type of every item, so enableWhen can be read before its target."""
        for entry in raw if isinstance(raw, list) else []:
            if isinstance(entry, dict):
                self.types[entry.get("linkId")] = entry.get("type")
                self.scan(entry.get("item"))

    def refuse(self, code: str, where: str, feature: str) -> None:
        self.problems.append(F.Issue(code, where, feature))

    def warn(self, code: str, where: str, feature: str) -> None:
        self.warnings.append(F.Issue(code, where, feature))

    def text(self, element: dict[str, Any], name: str, where: str) -> Text | None:
        texts = read_texts(element, name, self.base)
        if texts:
            self.languages.update(lang for lang in ("sv", "en") if lang not in texts)
        for ext in other_extensions(element.get(f"_{name}")):
            self.extension(ext, where, None)
        return to_text(texts)

    def extension(self, ext: dict[str, Any], where: str, into: dict[str, Any] | None) -> None:
        """Sort one extension: into `into` (supported or kept), dropped or refused. Where
        nothing can be kept (`into` None, e.g. on a text) a kept kind is dropped, with a
        warning."""
        url = ext.get("url", "")
        if url in F.KEPT and into is None:
            self.warn("dropped_metadata", where, F.short(url))
        elif url in F.KEPT and into is not None:
            into.setdefault("kept", []).append(json.dumps(ext, sort_keys=True))
            self.warn("kept_unused", where, F.short(url))
        elif url in F.HINTS:
            self.warn("dropped_hint", where, F.short(url))
        elif url in F.SUPPORTED and into is not None and "supported" in into:
            into["supported"].append(ext)
        else:
            self.refuse("unsupported_extension", where, F.short(url) or "(no url)")

    def items(self, raw: Any, parent: str, depth: int = 0) -> tuple[Item, ...]:
        out = []
        for entry in raw if isinstance(raw, list) else []:
            if isinstance(entry, dict):
                item = self.item(entry, parent, depth)
                if item is not None:
                    out.append(item)
        return tuple(out)

    def item(self, raw: dict[str, Any], parent: str, depth: int = 0) -> Item | None:
        self.count += 1
        link_id = str(raw.get("linkId", "?"))
        where = f"{parent}/{link_id}" if parent else link_id
        if self.count > MAX_ITEMS or depth >= MAX_DEPTH:
            limit = f"more than {MAX_ITEMS} items" if self.count > MAX_ITEMS else \
                f"items nested more than {MAX_DEPTH} levels"
            self.refuse("unsupported_element", where[:300], limit)
            return None
        if not isinstance(raw.get("linkId"), str):  # R4 requires it; answers refer by it
            self.refuse("invalid", where, "every item needs a linkId")
        for key in sorted(set(raw) - HANDLED):
            self.refuse("unsupported_element", where, key)
        kind = raw.get("type")
        if kind not in ITEM_TYPES:
            self.refuse("unsupported_element", where, f"type {kind}")
            return None
        found: dict[str, Any] = {"supported": []}
        for ext in raw.get("extension", []):
            self.extension(ext, where, found)
        fields: dict[str, Any] = {
            "link_id": link_id, "type": kind, "text": self.text(raw, "text", where),
            "prefix": self.text(raw, "prefix", where), "definition": raw.get("definition"),
            "codes": tuple(codings(raw.get("code"))), "required": raw.get("required", False),
            "repeats": raw.get("repeats", False), "read_only": raw.get("readOnly", False),
            "max_length": raw.get("maxLength"), "kept": tuple(found.get("kept", ())),
            "enable_behavior": raw.get("enableBehavior", "all"),
            "enable_when": self.conditions(raw.get("enableWhen"), where),
            "items": self.items(raw.get("item"), where, depth + 1)}
        fields |= read_supported(found["supported"], kind, where, self)
        if kind in CHOICE_TYPES or "answerOption" in raw or "answerValueSet" in raw:
            fields["options"] = read_options(raw, where, self)
        fields |= self.initial(raw.get("initial"), fields.get("options", ()), where)
        return _build(fields, where, self)

    def conditions(self, raw: Any, where: str) -> tuple[dict[str, Any], ...]:
        out = []
        for cond in raw if isinstance(raw, list) else []:
            keys = [k for k in cond if k.startswith("answer")]
            if len(keys) != 1 or keys[0] not in ANSWER_KEYS:
                self.refuse("unsupported_element", where, f"enableWhen {'/'.join(keys)}")
                continue
            value = cond[keys[0]]
            answer = value.get("code") if isinstance(value, dict) else value
            # Choice answers are option codes (model.Option): an integer option is its text.
            if self.types.get(cond.get("question")) in CHOICE_TYPES and cond.get(
                    "operator") != "exists":
                answer = str(answer)
            out.append({"question": cond.get("question"), "operator": cond.get("operator"),
                        "answer": answer,
                        "system": value.get("system") if isinstance(value, dict) else None})
        return tuple(out)

    def initial(self, raw: Any, options: tuple, where: str) -> dict[str, Any]:
        values: list[Any] = []
        for entry in raw if isinstance(raw, list) else []:
            keys = [k for k in entry if k.startswith("value")]
            if len(keys) != 1 or keys[0] not in INITIAL_KEYS:
                self.refuse("unsupported_element", where, f"initial {'/'.join(keys)}")
                continue
            value = entry[keys[0]]
            values.append(value.get("code") if isinstance(value, dict) else value)
        if not values or not options:
            return {"initial": tuple(values)}
        chosen = {str(v) for v in values}
        return {"initial": (), "options": tuple(
            o.model_copy(update={"initial_selected": o.initial_selected or o.code in chosen})
            for o in options)}


def codings(raw: Any) -> list[Coding]:
    out = []
    for c in raw if isinstance(raw, list) else []:
        if isinstance(c, dict) and isinstance(c.get("code"), str):
            out.append(Coding(system=c.get("system"), code=c["code"], display=c.get("display"),
                              version=c.get("version")))
    return out


def read_supported(exts: list[dict[str, Any]], kind: str, where: str,
                   reader: Reader) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ext in exts:
        name = F.short(ext["url"])
        value = next((v for k, v in ext.items() if k.startswith("value")), None)
        if name == "questionnaire-itemControl":
            code = next((c.get("code") for c in (value or {}).get("coding", [])), None)
            if code in F.CONTROLS:
                out["control"] = F.CONTROLS[code]
            else:
                reader.warn("dropped_hint", where, f"itemControl {code}")
        elif name == "questionnaire-hidden":
            out["hidden"] = bool(value)
        elif name in ("minValue", "maxValue"):
            out["min_value" if name == "minValue" else "max_value"] = value
        elif name == "questionnaire-unit":
            out["unit"] = codings([value])[0] if codings([value]) else None
        elif name == "mimeType":
            out["allowed_types"] = (*out.get("allowed_types", ()), value)
        else:
            key = {"maxDecimalPlaces": "max_decimal_places", "minLength": "min_length",
                   "regex": "regex", "questionnaire-sliderStepValue": "slider_step",
                   "maxSize": "max_size", "questionnaire-minOccurs": "min_occurs",
                   "questionnaire-maxOccurs": "max_occurs"}[name]
            out[key] = int(value) if key == "max_size" and value is not None else value
    return out


def _build(fields: dict[str, Any], where: str, reader: Reader) -> Item | None:
    try:
        return Item.model_validate(fields)
    except ValidationError as exc:
        for error in exc.errors():
            loc = ".".join(str(p) for p in error["loc"])
            reader.refuse("invalid", where, f"{loc}: {error['msg']}")
        return None

