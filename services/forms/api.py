"""forms' HTTP API (thin: parse, call a use case, shape the answer).

Designers (role form_designer at the unit) create, edit, preview, publish and retire forms and
choose the unit's e-services. Anyone logged in reads published versions, the unit's offered
e-services and the templates, and validates answers against an exact version. Validation
answers 200 with `valid` and field-level errors; 404 only for an unknown form version. Use
cases raise shared.errors.CommandError, which the shared web shell turns into the 4xx."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Response
from fastapi.responses import HTMLResponse, PlainTextResponse

from services.forms import commands, queries
from services.forms.context import ContextDep
from services.forms.domain import fhir
from services.forms.domain.model import FormDefinition, Lang
from services.forms.domain.render import render_answers, render_html
from services.forms.domain.validate import validate_response
from services.forms.library import BUILTIN
from services.forms.schemas import (
    CreateForm,
    Definition,
    Format,
    FormPublic,
    Published,
    UnitServices,
    ValidationResult,
    Version,
    language,
)
from services.forms.store import Offer
from shared.auth import PrincipalDep, StaffDep
from shared.errors import CommandError
from shared.events.contracts import ServiceType

router = APIRouter(prefix="/v1")
LangDep = Annotated[Lang, Depends(language)]
AnswersBody = Annotated[Any, Body()]


def _shape(definition: FormDefinition, fmt: Format, *, url: str, version: str,
           status: str) -> dict[str, Any]:
    if fmt == "native":
        return definition.model_dump(mode="json")
    return fhir.to_fhir(definition, url=url, version=version, status=status)


def validation_result(form_id: str, version: int, lang: Lang, errors) -> ValidationResult:
    return ValidationResult(form_id=form_id, version=version, language=lang,
                            valid=not errors, errors=[e.__dict__ for e in errors])


# templates ------------------------------------------------------------------------------

@router.get("/templates")
async def templates(_: PrincipalDep) -> list[dict[str, Any]]:
    return [{"service_type": s, "title": f.title.model_dump()} for s, f in BUILTIN.items()]


@router.get("/templates/{service_type}")
async def template(service_type: ServiceType, _: PrincipalDep,
                   format: Format = "fhir") -> dict[str, Any]:
    return _shape(BUILTIN[service_type], format, url=f"urn:template:{service_type}",
                  version="template", status="draft")


# designers ------------------------------------------------------------------------------

@router.post("/units/{unit_id}/forms", status_code=201)
async def create_form(unit_id: str, body: CreateForm, ctx: ContextDep,
                      who: StaffDep) -> FormPublic:
    form = await commands.create_form(ctx, who, unit_id=unit_id,
                                      service_type=body.service_type,
                                      definition=body.definition)
    return FormPublic.of(form)


@router.get("/units/{unit_id}/forms")
async def unit_forms(unit_id: str, ctx: ContextDep, who: StaffDep) -> list[FormPublic]:
    return [FormPublic.of(f) for f in await queries.unit_forms(ctx, who, unit_id)]


@router.get("/forms/{form_id}/draft")
async def get_draft(form_id: str, ctx: ContextDep, who: StaffDep,
                    format: Format = "native") -> dict[str, Any]:
    form = await queries.draft(ctx, who, form_id)
    return _shape(form.draft, format, url=ctx.canonical(form_id),
                  version=f"{form.latest_version + 1}-draft", status="draft")


@router.put("/forms/{form_id}/draft")
async def put_draft(form_id: str, body: Definition, ctx: ContextDep,
                    who: StaffDep) -> FormPublic:
    try:
        definition = body.parsed()
    except ValueError as exc:
        raise CommandError(422, str(exc)) from exc
    return FormPublic.of(await commands.update_draft(ctx, who, form_id, definition))


@router.get("/forms/{form_id}/draft/preview", response_class=HTMLResponse)
async def preview(form_id: str, ctx: ContextDep, who: StaffDep, lang: LangDep) -> str:
    return render_html((await queries.draft(ctx, who, form_id)).draft, lang)


@router.post("/forms/{form_id}/draft/validate")
async def validate_draft(form_id: str, answers: AnswersBody, ctx: ContextDep, who: StaffDep,
                         lang: LangDep) -> ValidationResult:
    """Try answers against the draft while designing it."""
    form = await queries.draft(ctx, who, form_id)
    errors = validate_response(form.draft, answers, lang=lang)
    return validation_result(form_id, form.latest_version + 1, lang, errors)


@router.post("/forms/{form_id}/publish")
async def publish(form_id: str, ctx: ContextDep, who: StaffDep, response: Response) -> Published:
    version, created = await commands.publish(ctx, who, form_id)
    response.status_code = 201 if created else 200
    return Published(form_id=form_id, version=version.version,
                     content_hash=version.content_hash, published_at=version.published_at)


@router.post("/forms/{form_id}/retire")
async def retire(form_id: str, ctx: ContextDep, who: StaffDep) -> FormPublic:
    return FormPublic.of(await commands.retire(ctx, who, form_id))


@router.put("/units/{unit_id}/services")
async def set_services(unit_id: str, body: UnitServices, ctx: ContextDep,
                       who: StaffDep) -> list[dict[str, Any]]:
    offers = [Offer(o.service_type, o.audience) for o in body.services]
    await commands.set_unit_services(ctx, who, unit_id, offers)
    return await queries.offered(ctx, unit_id)


# everyone logged in ---------------------------------------------------------------------

@router.get("/units/{unit_id}/services")
async def services(unit_id: str, ctx: ContextDep, _: PrincipalDep) -> list[dict[str, Any]]:
    return await queries.offered(ctx, unit_id)


@router.get("/forms/{form_id}/versions/{version}")
async def get_version(form_id: str, version: Version, ctx: ContextDep, _: PrincipalDep,
                      response: Response, format: Format = "fhir") -> dict[str, Any]:
    found = await queries.version(ctx, form_id, version)
    response.headers["ETag"] = f'"{found.content_hash}"'
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return _shape(found.definition, format, url=ctx.canonical(form_id), version=str(version),
                  status="active")


@router.get("/forms/{form_id}/versions/{version}/render", response_class=HTMLResponse)
async def render(form_id: str, version: Version, ctx: ContextDep, _: PrincipalDep,
                 lang: LangDep) -> str:
    return render_html((await queries.version(ctx, form_id, version)).definition, lang)


@router.post("/forms/{form_id}/versions/{version}/render-answers",
             response_class=PlainTextResponse)
async def render_response(form_id: str, version: Version, answers: AnswersBody, ctx: ContextDep,
                          _: PrincipalDep, lang: LangDep) -> str:
    """How a message reads: its answers worded as in the version it was written against."""
    found = await queries.version(ctx, form_id, version)
    return render_answers(found.definition, answers if isinstance(answers, dict) else {}, lang)


@router.post("/forms/{form_id}/versions/{version}/validate")
async def validate(form_id: str, version: Version, answers: AnswersBody, ctx: ContextDep,
                   _: PrincipalDep, lang: LangDep) -> ValidationResult:
    _found, errors = await queries.validate(ctx, form_id, version, answers, lang)
    return validation_result(form_id, version, lang, errors)
