"""The broker lets no one in without credentials and each service only where its ACLs
(shared.kafka_access) allow: forms' principal cannot announce a mailbox key on the care-unit
mailbox's topic nor put a message event on the patient mailbox's, while each owner writes its
own topic; routing (faust) reads the topics its agents consume and no other of its region's.
(That every service still does its whole job with these ACLs is the e2e suite.)"""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from shared.events import Source, new_event
from shared.events.contracts import MailboxKeyPublished
from shared.events.topics import (
    AUDIT,
    CAREUNIT_MAILBOX,
    FORMS,
    IDENTITY,
    NOTIFIER,
    PATIENT_MAILBOX,
    group_id,
    on_broker,
)
from shared.kafka import KafkaAuth, encode, ensure_event_topics, make_producer
from tests.integration.kafka_reads import read

pytestmark = pytest.mark.integration


def forged(region: str) -> bytes:
    data = MailboxKeyPublished(mailbox="careunit", key_id="forged", suite="x", public_key="AA==")
    return encode(new_event(data, source=Source(service="careunit-mailbox", region=region),
                            subject="forged"))


@pytest.fixture(scope="module")
async def topics_made(infra):
    from shared.kafka import TopicPolicy

    cfg = infra.cfg
    await ensure_event_topics(cfg.kafka_bootstrap, [IDENTITY, FORMS, PATIENT_MAILBOX, CAREUNIT_MAILBOX, NOTIFIER, AUDIT],
                              TopicPolicy(), cfg.region, cfg.kafka_auth())
    return cfg


async def _send(cfg, auth: KafkaAuth, topic: str) -> None:
    producer = make_producer(cfg.kafka_bootstrap, "acl-test", auth)
    await producer.start()
    try:
        await producer.send_and_wait(on_broker(cfg.region, topic), forged(cfg.region), key=b"k")
    finally:
        await producer.stop()


async def test_no_credentials_no_entry(topics_made) -> None:
    cfg = topics_made
    producer = AIOKafkaProducer(bootstrap_servers=cfg.kafka_bootstrap, request_timeout_ms=5000)
    with pytest.raises(KafkaError):  # the SASL listener drops a client that does not log in
        await producer.start()
    await producer.stop()
    consumer = AIOKafkaConsumer(on_broker(cfg.region, PATIENT_MAILBOX),
                                bootstrap_servers=cfg.kafka_bootstrap, request_timeout_ms=5000)
    with pytest.raises(KafkaError):
        await consumer.start()
    await consumer.stop()


async def test_a_wrong_password_is_refused(topics_made) -> None:
    cfg = topics_made
    user = cfg.kafka_user("forms")
    with pytest.raises((KafkaError, KafkaConnectionError)):
        await _send(cfg, KafkaAuth("SASL_PLAINTEXT", "SCRAM-SHA-512", user, "guessed"), FORMS)


@pytest.mark.parametrize("topic", [CAREUNIT_MAILBOX, PATIENT_MAILBOX])
async def test_forms_cannot_write_a_mailbox_topic(topics_made, topic: str) -> None:
    cfg = topics_made
    with pytest.raises(TopicAuthorizationFailedError):
        await _send(cfg, cfg.kafka_auth(cfg.kafka_user("forms")), topic)


async def test_each_owner_writes_its_own_topic(topics_made) -> None:
    cfg = topics_made
    await _send(cfg, cfg.kafka_auth(cfg.kafka_user("forms")), FORMS)
    await _send(cfg, cfg.kafka_auth(cfg.kafka_user("careunit-mailbox")), CAREUNIT_MAILBOX)


async def test_reading_needs_the_topic_and_the_own_group(topics_made) -> None:
    cfg = topics_made
    forms = cfg.kafka_auth(cfg.kafka_user("forms"))
    # forms reads identity's topic only, in its own group: not a mailbox's, not another group.
    for group, topic, refused in (
            (group_id(cfg.region, "forms"), PATIENT_MAILBOX, TopicAuthorizationFailedError),
            (group_id(cfg.region, "patient-mailbox"), IDENTITY, GroupAuthorizationFailedError)):
        with pytest.raises(refused):
            await read(cfg, forms, topic, group=group, wait_ms=5000)


@pytest.mark.parametrize("topic", [NOTIFIER, AUDIT])
async def test_routing_reads_no_topic_it_does_not_consume(topics_made, topic: str) -> None:
    # faust's worker needs its agents' topics and its own `<app id>-` topics, nothing more
    # of the region (shared.kafka_access._routing_extra): not the notifier's nor audit's.
    cfg = topics_made
    with pytest.raises(TopicAuthorizationFailedError):
        await read(cfg, cfg.kafka_auth(cfg.kafka_user("routing")), topic)


async def test_routing_reads_what_it_consumes(topics_made) -> None:
    cfg = topics_made
    await read(cfg, cfg.kafka_auth(cfg.kafka_user("routing")),
                IDENTITY, FORMS, PATIENT_MAILBOX, CAREUNIT_MAILBOX)
