"""The `verify --from-topic` reader: every checkpoint on the audit topic, from the beginning
to the current end, other audit events skipped (real Kafka)."""

from __future__ import annotations

import pytest

from services.audit import store
from services.audit.cli import topic_checkpoints
from shared.events import new_event
from shared.kafka import encode, ensure_topics, make_producer
from tests.integration import audit_log

pytestmark = pytest.mark.integration


async def test_checkpoints_are_read_back_from_the_topic(infra, topic):
    chain = audit_log.chain()
    await ensure_topics(infra.cfg.kafka_bootstrap, [topic], auth=infra.cfg.kafka_auth())
    producer = make_producer(infra.cfg.kafka_bootstrap, "it-audit", infra.cfg.kafka_auth())
    await producer.start()
    try:
        for seq in (5, 10):
            await producer.send_and_wait(topic, encode(_checkpoint(chain, seq)), key=b"k")
        other = audit_log.opened(1)  # another type on the same topic
        await producer.send_and_wait(topic, encode(other), key=b"k")
    finally:
        await producer.stop()
    found = await topic_checkpoints(infra.cfg.kafka_bootstrap, topic, timeout_s=20,
                                    auth=infra.cfg.kafka_auth())
    assert sorted(c.seq for c in found) == [5, 10]


def _checkpoint(chain: store.Chain, seq: int):
    from datetime import UTC, datetime

    from shared.events.contracts import AuditCheckpointSigned
    at = datetime.now(UTC)
    digest = f"{seq:064x}"
    return new_event(AuditCheckpointSigned(
        region="stockholm", seq=seq, chain_hash=digest, signed_at=at,
        key_id=chain.signer.key_id, signature=chain.signer.sign_checkpoint(seq, digest, at)),
        source=chain.source, subject="audit-chain:stockholm")
