"""Routes for other services inside the deployment (X-Internal-Api-Key): the patient mailbox
validates a submission against the exact form version before it stores anything."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from services.forms import queries
from services.forms.api import AnswersBody, LangDep, validation_result
from services.forms.context import ContextDep
from services.forms.schemas import ValidationResult
from shared.auth import require_internal_key


def _internal_caller(request: Request,
                     x_internal_api_key: Annotated[str | None, Header()] = None) -> None:
    require_internal_key(request.app.state.internal_api_key, x_internal_api_key)


router = APIRouter(prefix="/internal/v1", tags=["internal"],
                   dependencies=[Depends(_internal_caller)])


@router.post("/forms/{form_id}/versions/{version}/validate")
async def validate(form_id: str, version: int, answers: AnswersBody, ctx: ContextDep,
                   lang: LangDep) -> ValidationResult:
    _found, errors = await queries.validate(ctx, form_id, version, answers, lang)
    return validation_result(form_id, version, lang, errors)
