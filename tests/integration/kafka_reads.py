"""A read from the real broker as a given principal, for the ACL tests
(test_kafka_acls.py, test_kafka_provision.py)."""

from __future__ import annotations

from shared.events.topics import on_broker
from shared.kafka import KafkaAuth, make_consumer


async def read(cfg, auth: KafkaAuth, *topics: str, group: str | None = None,
               wait_ms: int = 1500) -> None:
    """Fetch from every partition of `topics`, by default without a consumer group (so a
    running routing worker's group is left alone): raises when the principal may not read
    one. Joining a group takes longer than a plain fetch, hence `wait_ms`."""
    consumer = make_consumer(cfg.kafka_bootstrap, group,
                             [on_broker(cfg.region, x) for x in topics], auth)
    try:
        await consumer.start()
        for _ in range(2):
            await consumer.getmany(timeout_ms=wait_ms)
    finally:
        await consumer.stop()
