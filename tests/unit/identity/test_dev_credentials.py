"""Development staff credentials (the seed's passwords and TOTP secrets) are never active in
production: identity refuses to start with a credentials file or stored secrets holding
them, and refuses a development password at login."""

from __future__ import annotations

import base64
import os
import uuid

import pytest
from sqlalchemy import update

from services.identity import devsecrets
from services.identity.bootstrap import create_app
from services.identity.oidc.staff_login import load_dev_credentials
from services.identity.oidc.tables import staff_credentials
from services.identity.seed import SEED_DIR
from services.identity.settings import IdentitySettings
from tests.unit.identity.oidc_support import world

SEED_FILES = sorted(SEED_DIR.glob("*.credentials.json"))


def _production(**values) -> IdentitySettings:
    return IdentitySettings(environment="production",
                            key_encryption_key=base64.urlsafe_b64encode(os.urandom(32)).decode(),
                            internal_caller_notifier="n", internal_caller_operator="o",
                            internal_caller_audit="a",
                            gateway_client_secret="a-real-client-secret", kafka_password="a-real-kafka-password",
                            **values)


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_every_seed_secret_is_fingerprinted(path) -> None:
    data = load_dev_credentials(path)
    every = (["default"] if data.default else []) + [c.hsa_id for c in data.credentials]
    assert devsecrets.dev_entries(data) == every
    secrets = ([data.default] if data.default else []) + list(data.credentials)
    assert all(devsecrets.is_dev_password(item.password) for item in secrets)


def test_production_refuses_to_start_with_the_seed_credentials_configured() -> None:
    assert SEED_FILES
    for path in SEED_FILES:
        seed_file = path.name.replace(".credentials.json", ".json")
        with pytest.raises(devsecrets.DevelopmentCredentials, match="development staff"):
            create_app(_production(seed_file=seed_file))
        create_app(_production())  # nothing configured: starts
        create_app(IdentitySettings(environment="development", seed_file=seed_file,
                                    key_encryption_key=_production().key_encryption_key))


def test_a_stored_development_totp_secret_stops_production() -> None:
    w = world()
    with w.db.connect() as conn:
        devsecrets.check_stored(conn, w.door.wrapper)  # the world's own secrets: fine
    default = load_dev_credentials(SEED_FILES[0]).default or \
        load_dev_credentials(SEED_FILES[0]).credentials[0]
    secret = base64.b32decode(default.totp_secret_base32)
    with w.db.begin() as conn:
        conn.execute(update(staff_credentials)
                     .where(staff_credentials.c.staff_id == uuid.UUID(w.staff_id))
                     .values(totp_secret_wrapped=w.door.wrapper.wrap(f"totp:{w.staff_id}",
                                                                     secret)))
    with w.db.connect() as conn, pytest.raises(devsecrets.DevelopmentCredentials,
                                               match="HSA-1"):
        devsecrets.check_stored(conn, w.door.wrapper)


def test_a_real_password_is_not_taken_for_a_development_one() -> None:
    assert not devsecrets.is_dev_password("a-real-staff-password-2026")
