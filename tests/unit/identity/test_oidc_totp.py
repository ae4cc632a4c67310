"""Staff TOTP (RFC 6238 via `cryptography`): drift window, single use, and credentials that
are stored hashed and wrapped, never as given."""

from __future__ import annotations

import base64

from sqlalchemy import select

from services.identity.oidc.staff_login import accepted_step, totp_code
from services.identity.oidc.tables import staff_credentials
from tests.unit.identity.oidc_support import PASSWORD, TOTP_SECRET, world

NOW = 1_700_000_015.0  # inside step 56_666_667
STEP = int(NOW) // 30


def test_rfc_6238_reference_value() -> None:
    # RFC 6238 Appendix B, SHA-1, T = 59 s: 94287082 (8 digits); 6 digits: 287082.
    assert totp_code(b"12345678901234567890", 59) == "287082"


def test_current_and_one_step_of_drift_are_accepted() -> None:
    for step in (STEP - 1, STEP, STEP + 1):
        assert accepted_step(TOTP_SECRET, totp_code(TOTP_SECRET, step * 30), NOW, None) == step


def test_older_codes_and_wrong_codes_are_refused() -> None:
    assert accepted_step(TOTP_SECRET, totp_code(TOTP_SECRET, (STEP - 2) * 30), NOW, None) is None
    assert accepted_step(TOTP_SECRET, totp_code(TOTP_SECRET, (STEP + 2) * 30), NOW, None) is None
    assert accepted_step(TOTP_SECRET, "12345", NOW, None) is None
    assert accepted_step(b"another secret......", totp_code(TOTP_SECRET, NOW), NOW, None) is None


def test_a_code_is_accepted_once() -> None:
    code = totp_code(TOTP_SECRET, NOW)
    assert accepted_step(TOTP_SECRET, code, NOW, last_step=STEP) is None
    assert accepted_step(TOTP_SECRET, code, NOW, last_step=STEP - 1) == STEP
    # Even a code from before the last used one is refused (no going back in time).
    older = totp_code(TOTP_SECRET, (STEP - 1) * 30)
    assert accepted_step(TOTP_SECRET, older, NOW, last_step=STEP) is None


def test_credentials_are_stored_as_argon2id_and_wrapped_secret() -> None:
    w = world()
    with w.db.connect() as conn:
        row = conn.execute(select(staff_credentials)).first()
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert TOTP_SECRET not in row.totp_secret_wrapped
    assert base64.b32encode(TOTP_SECRET) not in row.totp_secret_wrapped
    unwrapped = w.door.wrapper.unwrap(f"totp:{row.staff_id}", row.totp_secret_wrapped)
    assert unwrapped == TOTP_SECRET
