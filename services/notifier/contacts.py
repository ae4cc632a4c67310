"""Addresses come from identity's internal API when a mail is sent, so no address ever
travels on Kafka or lands in this service's database. A patient's address is given out only
once they have verified it; with it come their choices of which mails they want. Those are
kept briefly in a PatientContactCache (services.notifier.contact_cache: invalidated by
identity's ContactSettingsChanged) when one is given."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from services.notifier.domain import RecipientKind

if TYPE_CHECKING:
    from services.notifier.contact_cache import PatientContactCache

_PATHS: dict[RecipientKind, str] = {
    "care_unit": "/internal/v1/contacts/units/{}",
    "patient": "/internal/v1/contacts/patients/{}",
}
_VERIFICATION = "/internal/v1/contacts/verifications/{}"


class ContactLookupFailed(Exception):
    """identity could not answer now (retry later)."""


@dataclass(frozen=True)
class PatientContact:
    email: str | None  # verified only
    notify: dict[str, Any] = field(default_factory=dict)


class IdentityContacts:
    def __init__(self, client: httpx.AsyncClient, *, base_url: str, api_key: str,
                 unit_ttl_s: float = 60.0, cache: PatientContactCache | None = None) -> None:
        self._client, self._base, self._key = client, base_url.rstrip("/"), api_key
        self._cache = cache
        self._unit_ttl = unit_ttl_s
        self._units: dict[str, tuple[float, str | None]] = {}

    async def address(self, kind: RecipientKind, ref: str) -> str | None:
        """The recipient's e-mail address, or None when it has none (nothing to send)."""
        if kind == "patient":
            return (await self.patient(ref)).email
        cached = self._units.get(ref)
        if cached and time.monotonic() - cached[0] < self._unit_ttl:
            return cached[1]
        address = _email(await self._fetch(_PATHS[kind], ref))
        self._units[ref] = (time.monotonic(), address)
        return address

    async def patient(self, patient_id: str) -> PatientContact:
        """The patient's verified address (None: none) and notification choices."""
        if self._cache is not None and (hit := self._cache.get(patient_id)) is not None:
            return hit
        epoch = self._cache.epoch if self._cache is not None else 0
        body = await self._fetch(_PATHS["patient"], patient_id)
        notify = body.get("notify")
        contact = PatientContact(_email(body), notify if isinstance(notify, dict) else {})
        if self._cache is not None:
            self._cache.put(patient_id, contact, epoch)
        return contact

    async def verification_address(self, verification_id: str) -> str | None:
        """Where a verification link goes: the unverified address it was made for, while the
        verification is still open (None: used, expired or replaced; nothing to send)."""
        return _email(await self._fetch(_VERIFICATION, verification_id))

    async def _fetch(self, path: str, ref: str) -> dict[str, Any]:
        url = self._base + path.format(quote(ref, safe=""))
        try:
            response = await self._client.get(url, headers={"X-Internal-Api-Key": self._key})
        except httpx.HTTPError as exc:
            raise ContactLookupFailed(type(exc).__name__) from exc
        if response.status_code == 404:
            return {}
        if response.status_code != 200:
            raise ContactLookupFailed(f"identity answered {response.status_code}")
        body = response.json()
        return body if isinstance(body, dict) else {}


def _email(body: dict[str, Any]) -> str | None:
    email = body.get("email")
    return email if isinstance(email, str) and email else None
