"""Validated instruments offered to form designers as starting points, stored as FHIR R4
Questionnaire JSON files beside this module (Swedish with English translations, answer
scores as the core ordinalValue extension). Only instruments whose licence allows free use
are here; each file's `copyright` carries its licence statement, repeated in LICENCES."""

from __future__ import annotations

import json
from pathlib import Path

from services.forms.domain.fhir import from_fhir
from services.forms.domain.model import FormDefinition

HERE = Path(__file__).parent
LICENCES = {
    "phq-9": "Free to use: Pfizer Inc. states that no permission is required to reproduce, "
             "translate, display or distribute the PHQ-9.",
    "gad-7": "Free to use: Pfizer Inc. states that no permission is required to reproduce, "
             "translate, display or distribute the GAD-7.",
    "audit": "Free to use: the World Health Organization's AUDIT may be used without "
             "permission.",
}


def _load(key: str) -> tuple[dict, FormDefinition]:
    resource = json.loads((HERE / f"{key}.json").read_text(encoding="utf-8"))
    return resource, from_fhir(resource)


INSTRUMENTS: dict[str, tuple[dict, FormDefinition]] = {key: _load(key) for key in LICENCES}
