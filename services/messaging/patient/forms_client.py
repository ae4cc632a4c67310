"""The forms service as the patient mailbox sees it: validate answers against the exact
form version before anything is stored (internal API, service key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class FormsUnavailable(Exception):
    pass


@dataclass(frozen=True)
class Verdict:
    valid: bool
    errors: list[dict[str, Any]]


class FormsClient:
    def __init__(self, base_url: str, internal_credential: str) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=10.0,
                                       headers={"X-Internal-Api-Key": internal_credential})

    async def validate(self, form_id: str, version: int, answers: dict[str, Any],
                       language: str | None) -> Verdict:
        headers = {"Accept-Language": language} if language else {}
        try:
            response = await self._http.post(
                f"/internal/v1/forms/{form_id}/versions/{version}/validate", json=answers,
                headers=headers)
        except httpx.HTTPError as exc:
            raise FormsUnavailable(type(exc).__name__) from exc
        if response.status_code >= 500 or response.status_code in (401, 403):
            raise FormsUnavailable(f"forms answered {response.status_code}")
        response.raise_for_status()
        body = response.json()
        return Verdict(valid=body["valid"], errors=body["errors"])

    async def aclose(self) -> None:
        await self._http.aclose()
