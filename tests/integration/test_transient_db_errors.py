"""An inbox consumer never dead-letters an event because the database was away for a moment:
a dead letter for a passing reason is a lost message. Besides OperationalError, a lost
connection can surface as InterfaceError, and a busy pool as its TimeoutError; each is waited
out however often it repeats (the handler budget of three attempts is for the handler's own
failures). Real Kafka and PostgreSQL; the failures are raised by the handler."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shared.inbox import EventConsumer
from shared.kafka import encode, make_producer
from tests.integration.conftest import inbox_table
from tests.integration.test_inbox import apply_effect, consume_until
from tests.integration.test_task_deaths import applied, event

pytestmark = pytest.mark.integration

AWAY = {
    "interface": lambda: InterfaceError("SELECT", {}, Exception("the connection is lost")),
    "pool-timeout": lambda: PoolTimeout("QueuePool limit reached, connection timed out"),
    "operational": lambda: OperationalError("SELECT", {}, Exception("server closed")),
}


@pytest.mark.parametrize("kind", sorted(AWAY))
async def test_a_database_away_for_longer_than_the_handler_budget_dead_letters_nothing(
        infra, scratch_engine, topic, kind) -> None:
    failures = 6  # twice the handler budget (max_handler_attempts=3)

    async def database_away_at_first(conn, envelope, data) -> None:
        nonlocal failures
        if failures:
            failures -= 1
            raise AWAY[kind]()
        await apply_effect(conn, envelope, data)

    producer = make_producer(infra.cfg.kafka_bootstrap, "it-db-away", infra.cfg.kafka_auth())
    await producer.start()
    try:
        name = f"consumer-{topic}"
        consumer = EventConsumer(
            name=name, topics=[topic], bootstrap=infra.cfg.kafka_bootstrap,
            auth=infra.cfg.kafka_auth(), engine=scratch_engine, inbox=inbox_table,
            producer=producer,
            handlers={"identity.patient_registered.v1": database_away_at_first})
        e = event(f"away-{kind}")
        await producer.send_and_wait(topic, encode(e), key=b"k")

        async def done() -> bool:
            return await applied(scratch_engine, e)

        await consume_until(consumer, done)
        assert failures == 0
        assert not REGISTRY.get_sample_value(  # nothing was sent to the dead-letter topic
            "events_consumed_total", {"consumer": name, "outcome": "dead_lettered"})
    finally:
        await producer.stop()
