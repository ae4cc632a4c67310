"""Routes for other services inside the deployment (X-Internal-Api-Key): the patient mailbox
validates a submission against the exact form version before it stores anything."""

from __future__ import annotations

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
