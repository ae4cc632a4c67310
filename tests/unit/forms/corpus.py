"""The corpus of public FHIR Questionnaires (tests/corpus/fhir_questionnaires) and its
manifest: where each came from and the outcome its import must have."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from services.forms.domain.fhir_import import ImportedForm

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "fhir_questionnaires"
MANIFEST: list[dict[str, Any]] = json.loads((CORPUS / "manifest.json").read_text())["files"]


def load(name: str) -> dict[str, Any]:
    return json.loads((CORPUS / name).read_text())


def outcome(form: ImportedForm) -> str:
    """"supported", or "refused: " and the distinct refused features, sorted."""
    if form.definition is not None:
        return "supported"
    features = sorted({_feature(i.code, i.feature) for i in form.problems})
    return "refused: " + "; ".join(features)


# A model check's wording without its trailing detail: "... (x)" or "... question <linkId>".
_DETAIL = re.compile(r" \([^()]*\)$| question \S+$")


def _feature(code: str, feature: str) -> str:
    if code == "external_value_set":
        return f"external ValueSet {feature}"
    if code == "missing_value_set":
        return f"missing contained ValueSet {feature}"
    if code == "invalid":
        return "invalid: " + _DETAIL.sub("", feature)
    return feature
