"""People using the running system through the gateway, as the end-to-end tests, the
benchmarks (bench/) and the demo data (devstack/demo.py) do: logged in through identity's
real login (devstack/oidc_login.py), with the seed file's staff and realistic answers, and
waiting on asynchronous results."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from devstack import oidc_login
from devstack.config import REPO_ROOT
from devstack.form_samples import SAMPLES

SEED = json.loads((REPO_ROOT / "services/identity/seed/stockholm.json").read_text())

T = TypeVar("T")


def staff_of(unit_id: str, role: str, profession: str | None = None) -> list[dict]:
    return [s for s in SEED["staff"]
            if any(m["unit_id"] == unit_id and role in m["roles"] for m in s["memberships"])
            and (profession is None or s["profession"] == profession)]


async def eventually(probe: Callable[[], Awaitable[T | None]], *, timeout: float = 30,
                     what: str = "condition") -> T:
    """Retry `probe` until it returns something truthy (asynchronous effects take a moment)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last result: {last!r}")


def sample_answers(service_type: str, marker: str = "") -> dict:
    """A realistic, valid answer set for the built-in form, with `marker` appended to its
    first free-text answer (so tests can look for the answers' content too)."""
    answers = copy.deepcopy(SAMPLES[service_type])
    if marker:
        _append_to_first_string(answers, f" {marker}")
    return answers


def _append_to_first_string(node: Any, suffix: str) -> bool:
    if isinstance(node, dict):
        if isinstance(node.get("valueString"), str):
            node["valueString"] += suffix
            return True
        return any(_append_to_first_string(v, suffix) for v in node.values())
    if isinstance(node, list):
        return any(_append_to_first_string(v, suffix) for v in node)
    return False


class Person:
    """A logged-in user talking to the system through the gateway."""

    def __init__(self, http: httpx.AsyncClient, login: dict,
                 oidc: oidc_login.Tokens | None = None) -> None:
        self.http, self.id, self.tokens = http, login["subject"], login["tokens"]
        self.oidc = oidc  # refresh and id token, when logged in through the provider

    @classmethod
    async def login(cls, http: httpx.AsyncClient, *, personnummer: str | None = None,
                    hsa_id: str | None = None, loa: int = 3,
                    password: str | None = None) -> Person:
        """Through identity's real login (devstack/oidc_login.py): staff with password +
        TOTP, patients with the test e-ID (loa 3) or their password (loa 2; without one
        given, the patient is activated through an activation letter first)."""
        if personnummer is not None and loa == 2 and password is None:
            password = await oidc_login.patient_password(http, personnummer)
        tokens = await oidc_login.log_in(http, personnummer=personnummer, hsa_id=hsa_id,
                                        password=password)
        return cls(http, {"subject": tokens.subject, "tokens": tokens.access}, tokens)

    def _headers(self, audience: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[audience]}"}

    async def _call(self, audience: str, method: str, url: str, **kw: Any) -> httpx.Response:
        headers = {**kw.pop("headers", {}), **self._headers(audience)}
        return await self.http.request(method, url, headers=headers, **kw)

    async def patient(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return await self._call("patient-mailbox", method, f"/api/patient{path}", **kw)

    async def submit(self, unit_id: str, service_type: str, text: str = "",
                     marker: str = "", attachment_ids: list[str] | None = None,
                     appointment_id: str | None = None) -> httpx.Response:
        """Fill in the unit's current form for the e-service (waiting until the unit has
        one and the mailbox keys are distributed) and send it."""
        async def current_form():
            r = await self.patient("GET", f"/v1/units/{unit_id}/services")
            offers = {o["service_type"]: o for o in r.json()} if r.status_code == 200 else {}
            return offers.get(service_type) if offers.get(service_type, {}).get("form_id") \
                else None
        offer = await eventually(current_form, timeout=60, what=f"a form for {service_type}")

        async def attempt():
            r = await self.patient("POST", "/v1/conversations", json={
                "care_unit_id": unit_id, "service_type": service_type, "text": text,
                "form": {"form_id": offer["form_id"], "version": offer["form_version"]},
                "answers": sample_answers(service_type, marker),
                **({"attachment_ids": attachment_ids} if attachment_ids else {}),
                **({"appointment_id": appointment_id} if appointment_id else {})})
            return None if r.status_code == 503 else r
        return await eventually(attempt, timeout=60, what="submission accepted")

    async def forms(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return await self._call("forms", method, f"/api/forms{path}", **kw)

    async def unit(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return await self._call("careunit-mailbox", method, f"/api/careunit{path}", **kw)
