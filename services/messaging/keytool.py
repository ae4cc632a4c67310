"""Operators' key command for either mailbox: rotate its key pair, re-wrap its private keys
after a KEK rotation, or show its keys. Run with the mailbox's own environment (the same
PATIENT_MAILBOX_... or CAREUNIT_MAILBOX_... variables the service reads):

    python -m services.messaging.keytool rotate --mailbox patient
    python -m services.messaging.keytool rewrap --mailbox careunit
    python -m services.messaging.keytool status --mailbox patient

`rotate` adds a key pair, promotes it and announces it through the outbox (the running
service's relay publishes it), all in one transaction under the mailbox's advisory lock, so
it cannot race a replica starting up. Old keys stay: what was sealed to them still opens.
`rewrap` wraps every private key with the current KEK version (then the previous KEK can be
removed from the settings). Nothing secret is printed."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from services.messaging.app import MailboxSpec
from services.messaging.keys import AnnouncementSigner, rotate_and_announce
from shared import db
from shared.crypto.keyring import Keyring
from shared.events import Source
from shared.outbox import Outbox
from shared.settings import MailboxSettings


@dataclass(frozen=True)
class Mailbox:
    spec: MailboxSpec
    settings: MailboxSettings

    def keyring(self) -> Keyring:
        tables = self.spec.tables
        return Keyring(self.spec.mailbox, tables.mailbox_keys, tables.peer_keys,
                       self.settings.key_wrapper())


def load(name: str) -> Mailbox:
    if name == "patient":
        from services.messaging.patient.bootstrap import SPEC as PATIENT
        from services.messaging.patient.settings import PatientMailboxSettings
        return Mailbox(PATIENT, PatientMailboxSettings())
    from services.messaging.careunit.bootstrap import SPEC as CAREUNIT
    from services.messaging.careunit.settings import CareUnitMailboxSettings
    return Mailbox(CAREUNIT, CareUnitMailboxSettings())


async def rotate(engine: AsyncEngine, box: Mailbox, keyring: Keyring) -> str:
    spec = box.spec
    outbox = Outbox(spec.tables.outbox_table, channel=f"{spec.mailbox}_mailbox_outbox")
    source = Source(service=spec.service, region=box.settings.region)
    async with engine.begin() as conn:
        return await rotate_and_announce(conn, keyring, outbox, mailbox=spec.mailbox,
                                         topic=spec.own_topic, source=source,
                                         signer=AnnouncementSigner(
                                             box.settings.announcement_signing_key
                                             .get_secret_value()))


async def rewrap(engine: AsyncEngine, keyring: Keyring) -> int:
    async with engine.begin() as conn:
        return await keyring.rewrap_all(conn)


async def status(engine: AsyncEngine, keyring: Keyring) -> str:
    async with engine.connect() as conn:
        active = await keyring.active(conn)
        versions = await keyring.kek_versions(conn)
    wrapped = ", ".join(f"{v}: {n}" for v, n in sorted(versions.items())) or "none"
    return f"active key: {active[0] if active else 'none'}; keys per KEK version: {wrapped}"


async def run(command: str, box: Mailbox) -> str:
    engine = db.make_engine(box.settings.database_url, pool_size=1)
    keyring = box.keyring()
    try:
        if command == "rotate":
            return f"new active key: {await rotate(engine, box, keyring)}"
        if command == "rewrap":
            return f"re-wrapped with KEK version {box.settings.key_encryption_key_version}: " \
                   f"{await rewrap(engine, keyring)} key(s)"
        return await status(engine, keyring)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.messaging.keytool",
                                     description="Rotate or re-wrap a mailbox's keys.")
    parser.add_argument("command", choices=["rotate", "rewrap", "status"])
    parser.add_argument("--mailbox", required=True, choices=["patient", "careunit"])
    args = parser.parse_args(argv)
    print(asyncio.run(run(args.command, load(args.mailbox))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
