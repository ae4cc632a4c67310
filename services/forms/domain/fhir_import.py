"""Import of FHIR R4 Questionnaires (alone or in a Bundle) as form definitions.

Each Questionnaire becomes one ImportedForm: a definition, or the list of what cannot be
supported and where (then no definition), plus warnings for what was dropped or only kept.
Questionnaires in a Bundle that share a url (or name) and differ in `language` are one form in
several languages: their texts become translations of the first one's."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from services.forms.domain.fhir_features import Issue
from services.forms.domain.fhir_items import Reader, codings
from services.forms.domain.fhir_languages import merge_languages
from services.forms.domain.fhir_text import lang_key
from services.forms.domain.model import (
    DefinitionError,
    FormDefinition,
    Source,
    Text,
    check_definition,
)

HANDLED = {"resourceType", "id", "language", "url", "version", "name", "title", "_title",
           "status", "description", "_description", "publisher", "copyright", "code", "item",
           "contained", "extension", "subjectType", "derivedFrom"}
METADATA = {"meta", "text", "identifier", "date", "jurisdiction", "useContext", "purpose",
            "approvalDate", "lastReviewDate", "effectivePeriod", "contact", "experimental",
            "_name", "_publisher", "_purpose", "_copyright", "_date", "_status", "_version"}
UNTITLED = Text(sv="Formulär utan titel", en="Untitled form")


@dataclass
class ImportedForm:
    label: str  # the Questionnaire's url, name or position, so designers can tell them apart
    definition: FormDefinition | None
    problems: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)


def import_resource(resource: Any, *, source_language: str = "en",
                    own: bool = False) -> list[ImportedForm]:
    """`source_language` is the language of Questionnaires that do not state theirs; `own`
    reads a Questionnaire this service exported (its url and version are ours, not a source)."""
    if not isinstance(resource, dict) or resource.get("resourceType") not in (
            "Questionnaire", "Bundle"):
        kind = resource.get("resourceType") if isinstance(resource, dict) else type(resource)
        return [ImportedForm("?", None, [Issue("not_a_questionnaire", "", str(kind)[:100])])]
    if resource["resourceType"] == "Questionnaire":
        return [import_questionnaire(resource, source_language, own=own)]
    entries = [e.get("resource") for e in resource.get("entry", []) if isinstance(e, dict)]
    found = [r for r in entries if isinstance(r, dict) and r.get("resourceType") == "Questionnaire"]
    if not found:
        return [ImportedForm("Bundle", None, [Issue("not_a_questionnaire", "", "Bundle")])]
    value_sets = _value_sets(resource.get("entry", []))
    out = []
    for group in _by_form(found):
        merged, problems = merge_languages(group)
        if problems:
            out.append(ImportedForm(_label(group[0]), None, problems))
        else:
            out.append(import_questionnaire(merged, source_language, own=own,
                                            value_sets=value_sets))
    return out


def _value_sets(entries: list[Any]) -> dict[str, Any]:
    """The Bundle's own ValueSets, found by the entry's fullUrl or the ValueSet's url, as
    Questionnaires that travel with their answer lists refer to them (e.g. the R4 ussg-fht)."""
    found: dict[str, Any] = {}
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "ValueSet":
            for key in (entry.get("fullUrl"), resource.get("url")):
                if isinstance(key, str):
                    found[key] = resource
    return found


def _by_form(questionnaires: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for n, q in enumerate(questionnaires):
        key = q.get("url") or q.get("name")
        langs = {x.get("language") for x in groups.get(key, [])} if key else {None}
        if key and q.get("language") and q.get("language") not in langs:
            groups.setdefault(key, []).append(q)
        else:
            groups[f"#{n}"] = [q]
    return list(groups.values())


def import_questionnaire(resource: dict[str, Any], source_language: str = "en", *,
                         own: bool = False,
                         value_sets: dict[str, Any] | None = None) -> ImportedForm:
    reader = Reader(resource.get("language") or source_language, resource.get("contained", []),
                    value_sets)
    for key in sorted(set(resource) - HANDLED - METADATA):
        reader.refuse("unsupported_element", "Questionnaire", key)
    if dropped := sorted(set(resource) & METADATA):
        reader.warn("dropped_metadata", "Questionnaire", ", ".join(dropped))
    kept: dict[str, Any] = {}
    for ext in resource.get("extension", []):
        reader.extension(ext, "Questionnaire", kept)
    reader.scan(resource.get("item"))
    title = reader.text(resource, "title", "Questionnaire")
    if title is None and resource.get("name"):
        title = Text(sv=str(resource["name"]), en=str(resource["name"]))
    if title is None:
        title = UNTITLED
        reader.warn("untitled", "Questionnaire", UNTITLED.sv)
    items = reader.items(resource.get("item"), "")
    for missing in sorted(reader.languages):
        reader.warn("missing_language", lang_key(reader.base), missing)
    form = ImportedForm(_label(resource), None, reader.problems, reader.warnings)
    if reader.problems:
        return form
    try:
        form.definition = check_definition(FormDefinition(
            title=title, description=reader.text(resource, "description", "Questionnaire"),
            items=items, source=_source(resource, tuple(kept.get("kept", ())), own)))
    except DefinitionError as exc:
        form.problems += [_problem(p) for p in exc.problems]
    except ValidationError as exc:
        form.problems += [Issue("invalid", "Questionnaire", f"{'.'.join(map(str, e['loc']))}: "
                                f"{e['msg']}") for e in exc.errors()]
    return form


def _problem(text: str) -> Issue:
    where, _, what = text.partition(": ")
    return Issue("invalid", where, what or text)


def _source(resource: dict[str, Any], kept: tuple[str, ...], own: bool) -> Source | None:
    url, version = resource.get("url"), resource.get("version")
    derived = resource.get("derivedFrom") or []
    if derived and isinstance(derived[0], str):
        url, _, version = derived[0].partition("|")
    elif own:
        url = version = None
    source = Source(url=url, version=version or None, name=resource.get("name"),
                    publisher=resource.get("publisher"), copyright=resource.get("copyright"),
                    codes=tuple(codings(resource.get("code"))), kept=kept)
    return source if any(source.model_dump().values()) else None


def _label(resource: dict[str, Any]) -> str:
    return str(resource.get("url") or resource.get("name") or resource.get("id") or "?")[:300]


def canonical_json(definition: FormDefinition) -> str:
    return json.dumps(definition.model_dump(mode="json"), sort_keys=True)
