"""The forms service as the patient mailbox sees it: answers are validated against the exact
form version before anything is stored.

Published versions never change, so the mailbox fetches each one once (internal API, service
key), keeps the most recently used ones, and validates with forms' own code
(services.forms.domain: the same function forms' validation endpoint runs, on the same
definition, with the same choice of language), instead of one HTTP call per submission."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import httpx

from services.forms.domain.i18n import pick_language
from services.forms.domain.model import FormDefinition
from services.forms.domain.validate import validate_response
from shared.http_transport import AiohttpTransport


class FormsUnavailable(Exception):
    pass


@dataclass(frozen=True)
class Verdict:
    valid: bool
    errors: list[dict[str, Any]]


@dataclass(frozen=True)
class _Version:
    definition: FormDefinition
    canonical: str


class FormsClient:
    def __init__(self, base_url: str, internal_credential: str, *,
                 cached_versions: int = 256,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=10.0,
                                       transport=transport or AiohttpTransport(),
                                       headers={"X-Internal-Api-Key": internal_credential})
        self._versions: OrderedDict[tuple[str, int], _Version] = OrderedDict()
        self._max_versions = cached_versions

    async def validate(self, form_id: str, version: int, answers: dict[str, Any],
                       language: str | None) -> Verdict:
        """`language`: the patient's Accept-Language, which picks the errors' language."""
        found = await self._version(form_id, version)
        errors = validate_response(found.definition, answers,
                                   lang=pick_language(None, language or None),
                                   canonical=found.canonical)
        return Verdict(valid=not errors, errors=[e.__dict__ for e in errors])

    async def _version(self, form_id: str, version: int) -> _Version:
        key = (form_id, version)
        if (found := self._versions.get(key)) is not None:
            self._versions.move_to_end(key)
            return found
        found = await self._fetch(form_id, version)
        self._versions[key] = found
        if len(self._versions) > self._max_versions:
            self._versions.popitem(last=False)
        return found

    async def _fetch(self, form_id: str, version: int) -> _Version:
        try:
            response = await self._http.get(
                f"/internal/v1/forms/{form_id}/versions/{version}")
        except httpx.HTTPError as exc:
            raise FormsUnavailable(type(exc).__name__) from exc
        # 404 too: the unit's offer names this version, so forms must have it (or soon will).
        if response.status_code != 200:
            raise FormsUnavailable(f"forms answered {response.status_code}")
        body = response.json()
        return _Version(FormDefinition.model_validate(body["definition"]), body["canonical"])

    async def aclose(self) -> None:
        await self._http.aclose()
