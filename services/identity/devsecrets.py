"""Development staff credentials (services/identity/seed/*.credentials.json: passwords and
TOTP secrets published in the repository) can never be active in production, whatever
files are configured:

- at start, a credentials file that would be applied (IDENTITY_SEED_FILE's) holding any
  known development secret stops the service (DevelopmentCredentials, with the reason);
- at start, every stored TOTP secret is unwrapped and compared: a development one stops
  the service, naming the HSA-ids to re-enrol;
- at login, a development password is refused (argon2 hashes are salted, so stored
  passwords cannot be compared at start without a 64 MiB hash per staff member).

Only fingerprints are kept here; a unit test checks that every secret in the seed files is
listed, so a new development credential cannot slip past."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from sqlalchemy import Connection, select

from services.identity.oidc.staff_login import (
    DevCredentials,
    credentials_file,
    load_dev_credentials,
)
from services.identity.oidc.tables import staff_credentials
from services.identity.tables import staff
from shared.crypto.keyring import KeyWrapper

# sha256(b"password:" + password) and sha256(b"totp:" + secret) of the seeds' credentials.
DEV_PASSWORDS = frozenset({
    "405646bddcf68693b67fe9f7e2235e87658807ba4e3a3d5f8765207063183ae8",
    "816d6efb35eef34ff82be287dfce0e0cfa89bd0afee9ef1feb677a26c2197cb7",
})
DEV_TOTP_SECRETS = frozenset({
    "2c02d1ea9ce82b6ab88422018ead063e7922585784c325bd684df3c271b9f276",
    "cf4792ce6126390b6f622499dc47654e7b988b6da8d39d5208b05b4fda18c496",
})


class DevelopmentCredentials(RuntimeError):
    """Development credentials where the environment is production: identity will not start."""


def password_fingerprint(password: str) -> str:
    return hashlib.sha256(b"password:" + password.encode()).hexdigest()


def totp_fingerprint(secret: bytes) -> str:
    return hashlib.sha256(b"totp:" + secret).hexdigest()


def is_dev_password(password: str) -> bool:
    return password_fingerprint(password) in DEV_PASSWORDS


def dev_entries(data: DevCredentials) -> list[str]:
    """Which entries of a credentials file ("default" or HSA-ids) use a development secret."""
    entries = [("default", data.default)] if data.default else []
    entries += [(c.hsa_id, c) for c in data.credentials]
    return [name for name, item in entries if item is not None and (
        is_dev_password(item.password)
        or totp_fingerprint(base64.b32decode(item.totp_secret_base32)) in DEV_TOTP_SECRETS)]


def check_files(seed_file: str | None, seed_dir: Path) -> None:
    """Production: refuse a credentials file (the seed's) that holds development secrets."""
    path = credentials_file(seed_dir, seed_file) if seed_file else None
    if path is None or not path.exists():
        return
    found = dev_entries(load_dev_credentials(path))
    if found:
        raise DevelopmentCredentials(
            f"{path.name} holds development staff credentials ({len(found)} entries, e.g. "
            f"{found[0]}); they are never applied in production: unset IDENTITY_SEED_FILE or "
            "give real credentials")


def stored_dev_totp(conn: Connection, wrapper: KeyWrapper) -> list[str]:
    """HSA-ids whose stored TOTP secret is a development one."""
    rows = conn.execute(select(staff.c.hsa_id, staff_credentials.c.staff_id,
                               staff_credentials.c.totp_secret_wrapped)
                        .join(staff, staff.c.staff_id == staff_credentials.c.staff_id))
    return [row.hsa_id for row in rows if totp_fingerprint(wrapper.unwrap(
        f"totp:{row.staff_id}", row.totp_secret_wrapped)) in DEV_TOTP_SECRETS]


def check_stored(conn: Connection, wrapper: KeyWrapper) -> None:
    found = stored_dev_totp(conn, wrapper)
    if found:
        raise DevelopmentCredentials(
            f"{len(found)} staff member(s) have a development TOTP secret stored (e.g. "
            f"{found[0]}); re-enrol them before starting identity in production")
