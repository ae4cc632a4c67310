"""Request and response bodies of the forms API (only public fields leave the service)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.forms.domain import fhir, i18n
from services.forms.domain.model import FormDefinition, Lang
from services.forms.store import FormRecord
from shared.events.contracts import Audience, ServiceType

Format = Literal["fhir", "native"]


class Definition(BaseModel):
    """A definition in our native shape or as a FHIR Questionnaire: exactly one."""

    model_config = ConfigDict(extra="forbid")
    definition: FormDefinition | None = None
    questionnaire: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one(self) -> Definition:
        if (self.definition is None) == (self.questionnaire is None):
            raise ValueError("give exactly one of definition or questionnaire")
        return self

    def parsed(self) -> FormDefinition:
        if self.definition is not None:
            return self.definition
        try:
            return fhir.from_fhir(self.questionnaire or {})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError("questionnaire is not in the supported FHIR shape") from exc


class CreateForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service_type: ServiceType
    definition: FormDefinition | None = None  # default: the built-in template


class FormPublic(BaseModel):
    form_id: str
    unit_id: str
    service_type: str
    latest_version: int
    retired: bool
    draft_updated_at: datetime

    @classmethod
    def of(cls, form: FormRecord) -> FormPublic:
        return cls(form_id=form.form_id, unit_id=form.unit_id, service_type=form.service_type,
                   latest_version=form.latest_version, retired=form.retired_at is not None,
                   draft_updated_at=form.draft_updated_at)


class Published(BaseModel):
    form_id: str
    version: int
    content_hash: str
    published_at: datetime


class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service_type: ServiceType
    audience: Audience = "all_residents"


class UnitServices(BaseModel):
    model_config = ConfigDict(extra="forbid")
    services: list[OfferIn] = Field(max_length=20)


class FieldErrorPublic(BaseModel):
    link_id: str | None
    path: str
    code: str
    message: str


class ValidationResult(BaseModel):
    form_id: str
    version: int
    language: Lang
    valid: bool
    errors: list[FieldErrorPublic]


# A form version in a path: the column is a 32-bit integer, and a number past it would reach
# the database as an error (a 500) instead of a 422 (found by tests/security/test_api_fuzz.py).
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]


def language(request: Request, lang: Annotated[Lang | None, Query()] = None) -> Lang:
    return i18n.pick_language(lang, request.headers.get("accept-language"))
