"""Who a login form or an e-ID return identifies: the checks behind the front door.

Patient passwords are the patient side's (patients/login.py PatientAuth: activation letter,
argon2id, throttling and lockout, the same answer for every failure), and so are patient
accounts (patients/accounts.py: a first e-ID login makes one); staff passwords + TOTP are
oidc/staff_login.py's. A refusal is LoginRefused with the text to show (a msgid, translated
on the page)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request

from services.identity import client_address, domain
from services.identity.lockout import ClientThrottled
from services.identity.oidc import login_events
from services.identity.oidc.i18n import _l
from services.identity.oidc.staff_login import enrol_dev_default, verify_staff
from services.identity.oidc.web import Door
from services.identity.patients import personnummer
from services.identity.patients.accounts import PatientAccounts
from services.identity.patients.login import LoginFailed, PatientAuth
from shared.auth import LOA_EID

FAILED = _l("Login failed. Check your details and try again. After several failed "
             "attempts, logging in is blocked for a while.")
THROTTLED = _l("Too many failed logins from here. Wait a while and try again.")
INVALID_PERSONNUMMER = _l("Invalid personnummer: %(reason)s")


class LoginRefused(Exception):
    def __init__(self, text: str, reasons: dict[str, str] | None = None) -> None:
        super().__init__(text)
        self.text, self.reasons = text, reasons or {}


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
    except ClientThrottled:
        raise LoginRefused(THROTTLED) from None


def _client_ip(request: Request) -> str | None:
    # Browsers post here directly; an ingress in front of identity is a trusted proxy.
    return client_address.of(request, request.app.state.identity.settings.trusted_proxy_networks)


def staff_password(door: Door, hsa_id: str, password: str, otp: str) -> domain.Subject:
    settings = door.settings
    with door.db.begin() as conn:
        if door.dev_staff_default is not None:
            enrol_dev_default(conn, door.wrapper, hsa_id.strip(), door.dev_staff_default)
        who = verify_staff(conn, door.wrapper, hsa_id=hsa_id.strip(), password=password,
                           otp=otp, max_failures=settings.staff_max_failed_logins,
                           lockout=timedelta(seconds=settings.staff_lockout_s))
        if door.log_logins:
            login_events.record(conn, settings.region, hsa_id=hsa_id.strip()[:64],
                                ok=who is not None, method="password_totp")
    if who is None:
        raise LoginRefused(FAILED)
    return who


async def patient_by_eid(request: Request, number: str, loa: int) -> domain.Subject | None:
    """The patient an e-ID login proves, with an account made at their first login if they
    are in the population register (as on 1177); None for anyone else."""
    accounts: PatientAccounts = request.app.state.patient_accounts
    patient_id = await accounts.for_eid(request.app.state.door.engine, number)
    return domain.patient_subject(str(patient_id), min(loa, LOA_EID)) if patient_id else None
