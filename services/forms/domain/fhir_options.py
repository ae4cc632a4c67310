"""Answer lists: `answerOption` of every R4 value type (coding, string, integer, date, time)
and `answerValueSet` pointing at a contained ValueSet or one sent in the same Bundle, expanded
here. A ValueSet held by an
external terminology server is refused with that reason (no network at import)."""

from __future__ import annotations

from typing import Any

from services.forms.domain.fhir_text import read_texts, to_text
from services.forms.domain.known_value_sets import known_value_set
from services.forms.domain.model import Option, Text
from services.forms.domain.values import OPTION_KEY

KINDS = {key: kind for kind, key in OPTION_KEY.items()}


def read_options(raw: dict[str, Any], where: str, reader: Any) -> tuple[Option, ...]:
    if "answerValueSet" in raw:
        return _value_set(raw["answerValueSet"], where, reader)
    return tuple(o for o in (_option(entry, where, reader)
                             for entry in raw.get("answerOption", [])) if o is not None)


def _option(entry: Any, where: str, reader: Any) -> Option | None:
    keys = [k for k in entry if k.startswith("value")] if isinstance(entry, dict) else []
    if len(keys) != 1 or keys[0] not in KINDS:
        reader.refuse("unsupported_element", where, f"answerOption {'/'.join(keys)}")
        return None
    kind, value = KINDS[keys[0]], entry[keys[0]]
    for key in sorted(set(entry) - {keys[0], f"_{keys[0]}", "initialSelected", "extension"}):
        reader.refuse("unsupported_element", where, f"answerOption.{key}")
    kept = _kept(entry, where, reader)
    if kind == "coding":
        if not isinstance(value, dict) or not isinstance(value.get("code"), str):
            reader.refuse("unsupported_element", where, "answerOption valueCoding without code")
            return None
        for key in sorted(set(value) - {"system", "code", "display", "_display"}):
            reader.refuse("unsupported_element", where, f"answerOption.valueCoding.{key}")
        text = reader.text(value, "display", where) or _plain(value["code"])
        code, system = value["code"], value.get("system")
    else:
        text = reader.text(entry, keys[0], where) or _plain(str(value))
        code, system = str(value), None
    return _make(code=code, text=text, kind=kind, system=system,
                 initial_selected=bool(entry.get("initialSelected", False)),
                 kept=tuple(kept), where=where, reader=reader)


def _value_set(ref: Any, where: str, reader: Any) -> tuple[Option, ...]:
    if not isinstance(ref, str):
        reader.refuse("external_value_set", where, str(ref))
        return ()
    value_set = (reader.contained.get(ref[1:]) if ref.startswith("#")
                 else reader.bundled.get(ref) or known_value_set(ref))
    if not isinstance(value_set, dict) or value_set.get("resourceType") != "ValueSet":
        reader.refuse("missing_value_set" if ref.startswith("#") else "external_value_set",
                      where, ref)
        return ()
    concepts = _expansion(value_set)
    if concepts is None:
        reader.refuse("value_set_not_expandable", where, ref)
        return ()
    out = []
    for system, concept in concepts:
        # Expansions are in English unless they say otherwise; designations add languages.
        texts = read_texts(concept, "display", reader.base if "url" not in value_set else "en")
        for d in concept.get("designation", []):
            if isinstance(d, dict) and d.get("language") and d.get("value"):
                texts.setdefault(d["language"].split("-")[0], d["value"])
        if texts:
            reader.languages.update(lang for lang in ("sv", "en") if lang not in texts)
        option = _make(code=concept.get("code"), text=to_text(texts) or _plain(
            str(concept.get("code"))), kind="coding", system=system, where=where, reader=reader,
            kept=_kept(concept, where, reader))
        if option is not None:
            out.append(option)
    return tuple(out)


def _expansion(value_set: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]] | None:
    """(system, concept) pairs: the expansion if the ValueSet has one, else its compose when
    that only lists concepts. None when it cannot be expanded without a terminology server."""
    contains = value_set.get("expansion", {}).get("contains")
    if contains:
        return list(_flatten(contains))
    compose = value_set.get("compose", {})
    if not compose.get("include") or compose.get("exclude"):
        return None
    out = []
    for include in compose["include"]:
        if "filter" in include or "valueSet" in include or not include.get("concept"):
            return None
        out += [(include.get("system"), c) for c in include["concept"]]
    return out


def _flatten(contains: list[Any]):
    for entry in contains:
        if entry.get("code") and not entry.get("abstract"):
            yield entry.get("system"), entry
        yield from _flatten(entry.get("contains", []))


def _kept(element: dict[str, Any], where: str, reader: Any) -> tuple[str, ...]:
    """An option's extensions: e.g. ordinalValue is kept (scores), anything else as usual."""
    found: dict[str, Any] = {}
    for ext in element.get("extension", []):
        reader.extension(ext, where, found)
    return tuple(found.get("kept", ()))


def _make(*, where: str, reader: Any, **fields: Any) -> Option | None:
    try:
        return Option(**fields)
    except ValueError as exc:
        reader.refuse("invalid", where, f"answer option {fields.get('code')}: {exc}"[:300])
        return None


def _plain(value: str) -> Text:
    return Text(sv=value, en=value)
