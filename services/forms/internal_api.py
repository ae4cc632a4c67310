"""Routes for other services inside the deployment (X-Internal-Api-Key): the patient mailbox
validates a submission against the exact form version before it stores anything, either here
or (since versions are immutable) with the same code on its own copy of the version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from services.forms import queries
from services.forms.api import AnswersBody, LangDep, validation_result
from services.forms.context import ContextDep
from services.forms.schemas import ValidationResult, Version
from shared.auth import internal_caller

router = APIRouter(prefix="/internal/v1", tags=["internal"],
                   dependencies=[Depends(internal_caller("patient-mailbox"))])


@router.post("/forms/{form_id}/versions/{version}/validate")
async def validate(form_id: str, version: Version, answers: AnswersBody, ctx: ContextDep,
                   lang: LangDep) -> ValidationResult:
    _found, errors = await queries.validate(ctx, form_id, version, answers, lang)
    return validation_result(form_id, version, lang, errors)


@router.get("/forms/{form_id}/versions/{version}")
async def published_version(form_id: str, version: Version, ctx: ContextDep) -> dict[str, Any]:
    """A published version as the validation needs it (services.forms.domain.validate):
    the definition in the native shape and the canonical URL answers may name."""
    found = await queries.version(ctx, form_id, version)
    return {"definition": found.definition.model_dump(mode="json"),
            "canonical": queries.versioned_canonical(ctx, form_id, version)}
