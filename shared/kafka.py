"""aiokafka producer/consumer construction and topic provisioning, in one place.

Producer: acks=all + idempotence (no duplicates from producer retries).

Idle cost: every consumer's fetch is a long poll that the broker answers as soon as a record
arrives (fetch_min_bytes=1), so a long wait costs no latency and spares the broker and the
client a round trip per consumer every half second (the client's default). aiokafka sends
one fetch per broker for all partitions without buffered records, so a record on any of them
ends the wait. Recovery after a broker restart does not rest on the metadata age: a dropped
connection or a leader error makes the client refresh its metadata at once (retry backoff
short); the periodic refresh only picks up what produces no error (new partitions, leaders
moved by a rebalance while the old one still answers), so 30 s is enough."""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    CorruptRecordException,
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAlreadyExistsError,
    for_code,
)

from shared.events.envelope import Envelope

log = logging.getLogger(__name__)

_RECOVERY = {"metadata_max_age_ms": 30_000, "retry_backoff_ms": 100}
# The broker holds an idle fetch this long; request_timeout_ms (40 s by default for the
# consumer) must stay above it. Heartbeats and offset commits use the coordinator's own
# connection, so they never queue behind a held fetch. It also bounds a delay under load:
# aiokafka keeps one fetch in flight per broker, for the partitions with nothing buffered
# when it was sent, so a partition drained meanwhile waits for that fetch to return: 5 s
# gave 4-5 s tails at 8 clients, 1 s bounds them for ~17 ms/s of idle CPU (docs/capacity.md).
FETCH_MAX_WAIT_MS = 1000
CONSUMER_REQUEST_TIMEOUT_MS = 40_000
# How long a send may wait for its topic's metadata and the broker's ack before it fails and
# its caller (a relay, routing's publisher) retries: long enough for a broker restart.
PRODUCER_REQUEST_TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class KafkaAuth:
    """How a client authenticates to the broker (SASL/SCRAM; docs/security.md). Only the
    connection's handshake pays for it: nothing is added per message."""

    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"
    username: str = ""
    password: str = ""
    ssl_cafile: str = ""  # SASL_SSL: the brokers' CA (PEM); empty: the system's CAs

    @classmethod
    def from_settings(cls, settings: Any) -> KafkaAuth:
        return cls(settings.kafka_security_protocol, settings.kafka_sasl_mechanism,
                   settings.kafka_username, settings.kafka_password.get_secret_value(),
                   getattr(settings, "kafka_ssl_cafile", ""))

    def __repr__(self) -> str:  # never the password, in logs or tracebacks
        return f"KafkaAuth({self.security_protocol}, {self.sasl_mechanism}, {self.username!r})"

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for every aiokafka client (producer, consumer, admin)."""
        options: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.security_protocol.startswith("SASL"):
            options |= {"sasl_mechanism": self.sasl_mechanism,
                        "sasl_plain_username": self.username,
                        "sasl_plain_password": self.password}
        if self.security_protocol.endswith("SSL"):
            # Verifies the broker's certificate and name against its CA (or the system's).
            options["ssl_context"] = ssl.create_default_context(cafile=self.ssl_cafile or None)
        return options


NO_AUTH = KafkaAuth()


def make_producer(bootstrap: str, client_id: str, auth: KafkaAuth = NO_AUTH) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, client_id=client_id, acks="all",
        enable_idempotence=True, linger_ms=2,
        request_timeout_ms=PRODUCER_REQUEST_TIMEOUT_MS, **_RECOVERY,
        **auth.client_options())


def make_consumer(bootstrap: str, group_id: str | None, topics: list[str],
                  auth: KafkaAuth = NO_AUTH, **options: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, group_id=group_id,
        client_id=group_id or "mina-vardkontakter",
        enable_auto_commit=False,  # offsets are committed only after the database commit
        **({"auto_offset_reset": "earliest", "fetch_max_wait_ms": FETCH_MAX_WAIT_MS,
            "request_timeout_ms": CONSUMER_REQUEST_TIMEOUT_MS} | options),
        **_RECOVERY, **auth.client_options())


def make_admin(bootstrap: str, auth: KafkaAuth = NO_AUTH, **options: Any) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(bootstrap_servers=bootstrap, **_RECOVERY,
                               **({"request_timeout_ms": 10000} | options),
                               **auth.client_options())


# Failures that the same record meets again however often it is retried.
_PERMANENT = {MessageSizeTooLargeError: "too large for the broker",
              RecordTooLargeError: "too large for the broker",
              RecordListTooLargeError: "too large for the broker",
              CorruptRecordException: "rejected by the broker as corrupt",
              InvalidTopicError: "invalid topic",
              TypeError: "not serialisable", ValueError: "not serialisable"}
_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]{1,249}")


def valid_topic(name: str) -> bool:
    return bool(_TOPIC_NAME.fullmatch(name)) and name not in (".", "..")


def permanent_failure(exc: BaseException) -> str | None:
    """Why a send can never succeed, or None when a retry may (broker away, timeout, ...)."""
    for kind, reason in _PERMANENT.items():
        if isinstance(exc, kind):
            return reason
    return None


def encode(envelope: Envelope) -> bytes:
    return envelope.model_dump_json().encode()


@dataclass(frozen=True)
class TopicPolicy:
    """How new topics are made: from settings (ServiceSettings.kafka_topic_*)."""

    replication_factor: int = 1
    min_insync_replicas: int = 1
    retention_ms: int = 7 * 24 * 3600 * 1000

    @classmethod
    def from_settings(cls, settings) -> TopicPolicy:
        return cls(settings.kafka_topic_replication_factor,
                   settings.kafka_topic_min_insync_replicas, settings.kafka_topic_retention_ms)

    def configs(self) -> dict[str, str]:
        return {"min.insync.replicas": str(self.min_insync_replicas),
                "retention.ms": str(self.retention_ms)}


async def ensure_topics(bootstrap: str, topics: list[str], partitions: int = 3,
                        configs: dict[str, str] | None = None,
                        policy: TopicPolicy = TopicPolicy(), timeout_s: float = 15.0,
                        auth: KafkaAuth = NO_AUTH) -> None:
    """Create topics up front so consumers subscribe to something that exists. `configs`
    (e.g. compaction) go on top of the policy's. Raises (within `timeout_s`) while the
    broker is away; existing topics are left as they are."""
    admin = make_admin(bootstrap, auth)
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
        existing = set(await asyncio.wait_for(admin.list_topics(), timeout_s))
        missing = [t for t in topics if t not in existing]
        if missing:
            response = await asyncio.wait_for(admin.create_topics(
                [NewTopic(t, num_partitions=partitions,
                          replication_factor=policy.replication_factor,
                          topic_configs={**policy.configs(), **(configs or {})})
                 for t in missing]), timeout_s)
            for name, code, *_ in response.topic_errors:
                # Already there: another service created it at the same moment.
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise for_code(code)(f"creating topic {name}")
    finally:
        await admin.close()


async def ensure_event_topics(bootstrap: str, names: list[str], policy: TopicPolicy,
                              region: str, auth: KafkaAuth = NO_AUTH) -> None:
    """The platform's topics (logical names) on the broker under the region's prefix: state
    topics (topics.STATE) kept for ever, the others for the policy's retention."""
    from shared.events.topics import STATE, on_broker

    state = [on_broker(region, n) for n in names if n in STATE]
    if state:
        await ensure_topics(bootstrap, state, policy=policy, configs={"retention.ms": "-1"},
                            auth=auth)
    await ensure_topics(bootstrap, [on_broker(region, n) for n in names if n not in STATE],
                        policy=policy, auth=auth)
