"""The audit service's commands (`python -m services.audit <command>`, settings from AUDIT_*):

  (none)      run the service
  verify      recompute the chain and check every signature and checkpoint; names the first
              broken record and exits 1. --from-topic also reads the checkpoints published
              on the audit topic (which the database's owner cannot delete);
              --public-key B64 (repeatable) verifies without the private key (an
              external auditor); `pubkey` prints the current key's public half
  partitions  create the coming months' partitions now (as the owner; also done at start)
  keygen      print a new signing key for AUDIT_CHECKPOINT_SIGNING_KEY
  pubkey      print the public half of the configured key"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from aiokafka import TopicPartition
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from services.audit import roles, signing
from services.audit.checking import verify_log
from services.audit.settings import AuditSettings
from services.audit.verification import Checkpoint, Verification
from shared.db import make_engine
from shared.events import Envelope
from shared.events.contracts import AuditCheckpointSigned
from shared.events.topics import AUDIT, on_broker
from shared.kafka import NO_AUTH, KafkaAuth, make_admin, make_consumer


async def topic_checkpoints(bootstrap: str, topic: str = AUDIT, timeout_s: float = 30,
                            auth: KafkaAuth = NO_AUTH) -> list[Checkpoint]:
    """Every checkpoint on the audit topic, read from the beginning to its current end."""
    admin = make_admin(bootstrap, auth)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    parts = [TopicPartition(topic, p["partition"]) for t in described for p in t["partitions"]]
    if not parts:
        return []
    consumer = make_consumer(bootstrap, None, [], auth)
    await consumer.start()
    found: list[Checkpoint] = []
    try:
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        async with asyncio.timeout(timeout_s):
            while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found += [cp for r in records if (cp := _checkpoint(r.value)) is not None]
    finally:
        await consumer.stop()
    return found


def _checkpoint(value: bytes | None) -> Checkpoint | None:
    try:
        envelope = Envelope.model_validate_json(value or b"")
    except ValidationError:
        return None  # not an event: nothing this check can use (or be fooled by)
    if (envelope.type, envelope.version) != (AuditCheckpointSigned.event_type,
                                             AuditCheckpointSigned.event_version):
        return None  # other audit events share the topic
    d = AuditCheckpointSigned.model_validate(envelope.data)
    return Checkpoint(region=d.region, seq=d.seq, hash=d.chain_hash, signed_at=d.signed_at,
                      key_id=d.key_id, signature=d.signature)


async def verify(settings: AuditSettings, public_keys: list[Ed25519PublicKey],
                 from_topic: bool) -> Verification:
    # The region's audit topic (on the broker, its name carries the region's prefix).
    published = (await topic_checkpoints(settings.kafka_bootstrap_servers,
                                         on_broker(settings.region, AUDIT),
                                         auth=KafkaAuth.from_settings(settings))
                 if from_topic else [])
    published = [c for c in published if c.region == settings.region]
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await verify_log(conn, public_keys, batch=settings.verify_batch_size,
                                    published=published)
    finally:
        await engine.dispose()


async def make_partitions(settings: AuditSettings) -> int:
    engine = make_engine(settings.owner_database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(roles.ensure_partitions, settings.partition_months_ahead)
    finally:
        await engine.dispose()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.audit")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("verify", help="verify the chain, signatures and checkpoints")
    check.add_argument("--from-topic", action="store_true")
    check.add_argument("--public-key", action="append", help="base64 Ed25519 public key; "
                       "repeat for keys it replaced (default: from the settings)")
    sub.add_parser("partitions", help="create the coming months' partitions")
    sub.add_parser("keygen", help="print a new signing key")
    sub.add_parser("pubkey", help="print the signing key's public half (base64)")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        print(signing.Signer.generate_setting())
        return 0
    settings = AuditSettings()
    if args.command == "pubkey":
        print(signing.public_key_b64(signing.Signer.from_setting(
            settings.checkpoint_signing_key.get_secret_value(), "").public_key))
        return 0
    if args.command == "partitions":
        print(json.dumps({"created": asyncio.run(make_partitions(settings))}))
        return 0
    keys = [signing.load_public_key(k) for k in args.public_key] if args.public_key else \
        signing.trusted_keys(signing.Signer.from_setting(
            settings.checkpoint_signing_key.get_secret_value(), "").public_key,
            settings.checkpoint_previous_public_keys)
    result = asyncio.run(verify(settings, keys, args.from_topic))
    print(json.dumps(result.__dict__))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
