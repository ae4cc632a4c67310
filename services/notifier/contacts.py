"""Addresses come from identity's internal API when a mail is sent, so no address ever
travels on Kafka or lands in this service's database."""

from __future__ import annotations

import time
from urllib.parse import quote

import httpx

from services.notifier.domain import RecipientKind

_PATHS: dict[RecipientKind, str] = {
    "care_unit": "/internal/v1/contacts/units/{}",
    "patient": "/internal/v1/contacts/patients/{}",
}


class ContactLookupFailed(Exception):
    """identity could not answer now (retry later)."""


class IdentityContacts:
    def __init__(self, client: httpx.AsyncClient, *, base_url: str, api_key: str,
                 unit_ttl_s: float = 60.0) -> None:
        self._client, self._base, self._key = client, base_url.rstrip("/"), api_key
        self._unit_ttl = unit_ttl_s
        self._units: dict[str, tuple[float, str | None]] = {}

    async def address(self, kind: RecipientKind, ref: str) -> str | None:
        """The recipient's e-mail address, or None when it has none (nothing to send)."""
        if kind == "care_unit":
            cached = self._units.get(ref)
            if cached and time.monotonic() - cached[0] < self._unit_ttl:
                return cached[1]
        address = await self._fetch(kind, ref)
        if kind == "care_unit":
            self._units[ref] = (time.monotonic(), address)
        return address

    async def _fetch(self, kind: RecipientKind, ref: str) -> str | None:
        url = self._base + _PATHS[kind].format(quote(ref, safe=""))
        try:
            response = await self._client.get(url, headers={"X-Internal-Api-Key": self._key})
        except httpx.HTTPError as exc:
            raise ContactLookupFailed(type(exc).__name__) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ContactLookupFailed(f"identity answered {response.status_code}")
        email = response.json().get("email")
        return email if isinstance(email, str) and email else None
