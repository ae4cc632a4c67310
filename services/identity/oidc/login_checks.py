"""Who a login form or an e-ID return identifies: the checks behind the front door.

Patient passwords are the patient side's (patients/login.py PatientAuth: activation letter,
argon2id, throttling and lockout, the same answer for every failure), and so are patient
accounts (patients/accounts.py: a first e-ID login makes one); staff passwords + TOTP are
oidc/staff_login.py's. A refusal is LoginRefused with the text to show (a msgid, translated
on the page)."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from services.identity import client_address, devsecrets, domain
from services.identity.hash_budget import HashingBusy
from services.identity.lockout import ClientThrottled
from services.identity.oidc import login_events
from services.identity.oidc.i18n import _l
from services.identity.oidc.staff_login import enrol_dev_default, verify_staff
from services.identity.oidc.staff_throttle import StaffThrottled
from services.identity.oidc.web import Door
from services.identity.patients import personnummer
from services.identity.patients.accounts import PatientAccounts
from services.identity.patients.login import LoginFailed, PatientAuth
from shared.auth import LOA_EID

log = logging.getLogger(__name__)
FAILED = _l("Login failed. Check your details and try again. After several failed "
             "attempts, logging in is blocked for a while.")
THROTTLED = _l("Too many failed logins from here. Wait a while and try again.")
INVALID_PERSONNUMMER = _l("Invalid personnummer: %(reason)s")
BUSY = _l("Many people are logging in just now. Wait a few seconds and try again.")


class LoginRefused(Exception):
    """`status` 401 for a failed check; 429 (with `retry_after` seconds) when the attempt
    was not even made: throttled, or password hashing at its memory budget."""

    def __init__(self, text: str, reasons: dict[str, str] | None = None, *, status: int = 401,
                 retry_after: int | None = None) -> None:
        super().__init__(text)
        self.text, self.reasons = text, reasons or {}
        self.status, self.retry_after = status, retry_after


async def patient_password(request: Request, number: str, password: str) -> domain.Subject:
    auth: PatientAuth = request.app.state.patient_auth
    try:
        return await auth.verify_password(number, password, client_ip=_client_ip(request))
    except personnummer.InvalidPersonnummer as exc:
        said = exc.as_dict()
        raise LoginRefused(INVALID_PERSONNUMMER, {"sv": said.get("message_sv", ""),
                                                  "en": said.get("message_en", "")}) from None
    except LoginFailed:
        raise LoginRefused(FAILED) from None
    except ClientThrottled as exc:
        raise LoginRefused(THROTTLED, status=429, retry_after=exc.retry_after) from None
    except HashingBusy as exc:
        raise LoginRefused(BUSY, status=429, retry_after=exc.retry_after) from None


def _client_ip(request: Request) -> str | None:
    # Browsers post here directly; an ingress in front of identity is a trusted proxy.
    return client_address.of(request, request.app.state.identity.settings.trusted_proxy_networks)


async def staff_password(request: Request, door: Door, hsa_id: str, password: str,
                         otp: str) -> domain.Subject:
    """Throttle (per client, per HSA-id and client), then check within the hashing budget."""
    client = client_address.of(request, door.settings.trusted_proxy_networks)
    hsa_id = hsa_id.strip()[:64]
    try:
        door.staff_throttle.admit(hsa_id, client)
        if door.settings.environment == "production" and devsecrets.is_dev_password(password):
            log.warning("a development staff password was tried in production")
            door.staff_throttle.failed(hsa_id, client)
            raise LoginRefused(FAILED)
        async with door.hash_budget.slot():
            who = await run_in_threadpool(_check_staff, door, hsa_id, password, otp)
    except StaffThrottled as exc:
        raise LoginRefused(THROTTLED, status=429, retry_after=exc.retry_after) from None
    except HashingBusy as exc:
        raise LoginRefused(BUSY, status=429, retry_after=exc.retry_after) from None
    if who is None:
        door.staff_throttle.failed(hsa_id, client)
        raise LoginRefused(FAILED)
    door.staff_throttle.succeeded(hsa_id, client)
    return who


def _check_staff(door: Door, hsa_id: str, password: str, otp: str) -> domain.Subject | None:
    with door.db.begin() as conn:
        if door.dev_staff_default is not None:
            enrol_dev_default(conn, door.wrapper, hsa_id, door.dev_staff_default)
        who = verify_staff(conn, door.wrapper, hsa_id=hsa_id, password=password, otp=otp,
                           now=door.clock())
        if door.log_logins:  # in the same transaction as the check (audit, via the outbox)
            login_events.record(conn, door.settings.region, hsa_id=hsa_id[:64],
                                ok=who is not None, method="password_totp")
    return who


async def patient_by_eid(request: Request, number: str, loa: int) -> domain.Subject | None:
    """The patient an e-ID login proves, with an account made at their first login if they
    are in the population register (as on 1177); None for anyone else."""
    accounts: PatientAccounts = request.app.state.patient_accounts
    patient_id = await accounts.for_eid(request.app.state.door.engine, number)
    return domain.patient_subject(str(patient_id), min(loa, LOA_EID)) if patient_id else None
