"""Base settings for every deployable (pydantic-settings; one env prefix per service).

Fails closed: outside development and test, a secret still holding its placeholder value
stops the service at start-up instead of running with a known key."""

from __future__ import annotations

import base64
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.crypto import devkeys
from shared.crypto.keyring import KeyWrapper
from shared.events.topics import REGION_PATTERN
from shared.kafka_access import is_development_password

PLACEHOLDER = "changethis"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    environment: Literal["development", "test", "production"] = "production"
    # The region this instance serves: prefixes its topics and consumer groups, marks its
    # events' source, picks identity's seed (docs/regions.md).
    region: str = Field(default="stockholm", pattern=f"^{REGION_PATTERN}$")
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # This service's own principal at the broker, whose ACLs let it write only its own topics
    # (shared.kafka_access; docs/security.md). Production refuses PLAINTEXT and the
    # development passwords.
    uses_kafka: ClassVar[bool] = True
    kafka_security_protocol: Literal["SASL_PLAINTEXT", "SASL_SSL", "PLAINTEXT"] = "SASL_PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = "SCRAM-SHA-512"
    kafka_username: str = Field(default=PLACEHOLDER, max_length=200)
    kafka_password: SecretStr = SecretStr(PLACEHOLDER)
    # SASL_SSL: a PEM file of the CA(s) that signed the brokers' certificates; empty: the
    # system's CAs (the image's). Names only the broker's CA, not every TLS peer's.
    kafka_ssl_cafile: str = Field(default="", max_length=4096)
    identity_url: str = "http://127.0.0.1:8001"
    # Every request body is capped (413 above it); 256 KiB holds the largest form answers.
    max_request_body_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)
    # Topics this service creates when missing (1 locally; 3 and 2 in Kubernetes).
    kafka_topic_replication_factor: int = Field(default=1, ge=1)
    kafka_topic_min_insync_replicas: int = Field(default=1, ge=1)
    kafka_topic_retention_ms: int = Field(default=7 * 24 * 3600 * 1000, ge=-1)
    # Processed-event rows are kept this long to recognise a redelivery; outbox rows that
    # were published, this long for operators tracing an event.
    inbox_retention_days: float = Field(default=7.0, gt=0)
    # How long a consumer lets a fetch that brought events wait for more before applying
    # them (shared.inbox.EventConsumer.gather_s). Every batch costs a transaction and what
    # follows it (an outbox row, a relay round) whatever its size, so under load a short
    # wait makes batches several times larger; the events take effect that much later.
    # 0 for the services people wait on (the mailboxes); the audit log and the notifier
    # gather (docs/capacity.md, "Gathered batches").
    consume_gather_s: float = Field(default=0.0, ge=0, le=2.0)
    # The broker's side of it: a fetch is answered once this many bytes have arrived or the
    # fetch wait (1 s) has passed; 1: at once. Fewer, larger fetches for the broker and the
    # consumer, for up to a second's delay at light load.
    consume_fetch_min_bytes: int = Field(default=1, ge=1, le=1024 * 1024)
    # How long the outbox relay, woken by a commit, lets more rows come before it claims
    # them (shared.outbox_relay): 0 where people wait on the events, 0.1 s for the audit's
    # stream and the notifier's sent mails.
    outbox_linger_s: float = Field(default=0.0, ge=0, le=2.0)
    outbox_retention_days: float = Field(default=7.0, gt=0)
    # A background task failing again and again this long fails /healthz (process restart).
    task_unhealthy_after_s: float = Field(default=180.0, gt=0)

    @model_validator(mode="after")
    def _replicas_fit(self) -> ServiceSettings:
        if self.kafka_topic_min_insync_replicas > self.kafka_topic_replication_factor:
            raise ValueError("kafka_topic_min_insync_replicas exceeds the replication factor")
        return self

    @model_validator(mode="after")
    def _fail_closed_on_placeholders(self) -> ServiceSettings:
        if self.environment in ("development", "test"):
            return self
        for name, value in self:
            if isinstance(value, SecretStr) and value.get_secret_value() == PLACEHOLDER:
                raise ValueError(f"{name} still has its placeholder value in {self.environment}")
            if isinstance(value, SecretStr) and "key_encryption_key" in name:
                _refuse_development_keks(name, value.get_secret_value())
        if self.uses_kafka:
            _refuse_open_kafka(self)
        return self


def _refuse_open_kafka(s: ServiceSettings) -> None:
    if s.kafka_security_protocol == "PLAINTEXT":
        raise ValueError(f"kafka_security_protocol PLAINTEXT in {s.environment}: the broker "
                         "must authenticate every client (SASL_SSL or SASL_PLAINTEXT)")
    if is_development_password(s.kafka_username, s.kafka_password.get_secret_value()):
        raise ValueError("kafka_password is a development password (published in the "
                         "repository or derived from the development seed)")


class DatabaseSettings(ServiceSettings):
    database_url: str = "postgresql+psycopg://localhost/unset"


def _refuse_development_keks(name: str, value: str) -> None:
    values = devkeys.parse_previous(value).values() if "=" in value.rstrip("=") else [value]
    for kek in (devkeys.decoded(v) for v in values):
        if kek and devkeys.is_development_kek(kek):
            raise ValueError(f"{name} is a development key-encryption key (published in the "
                             "repository or not random); production needs its own 32 random "
                             "bytes")


class MailboxSettings(DatabaseSettings):
    key_encryption_key: SecretStr = SecretStr(PLACEHOLDER)
    # Ed25519 (base64url, 32 bytes) signing this mailbox's key announcements, and the other
    # mailbox's public signing key, pinned here and never learned from Kafka
    # (services.messaging.keys; docs/security.md).
    announcement_signing_key: SecretStr = SecretStr(PLACEHOLDER)
    peer_announcement_public_key: str = Field(default=PLACEHOLDER, max_length=100)
    # Other regions' peer mailboxes, when they sign with keys of their own:
    # "region=base64url-key,region2=key2" (docs/regions.md).
    peer_announcement_public_keys_by_region: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _peer_key_pinned(self) -> MailboxSettings:
        pinned = self.peer_announcement_public_key
        if pinned == PLACEHOLDER:
            if self.environment == "production":
                raise ValueError("peer_announcement_public_key is not set in production")
            return self
        try:
            valid = len(base64.urlsafe_b64decode(pinned.encode())) == 32
        except ValueError:
            valid = False
        if not valid:
            raise ValueError("peer_announcement_public_key is not base64url of 32 bytes")
        self.peer_keys_by_region()  # refuses a malformed list at start
        return self

    def peer_keys_by_region(self) -> dict[str, str]:
        keys: dict[str, str] = {}
        for item in filter(None, (i.strip() for i in
                                  self.peer_announcement_public_keys_by_region.split(","))):
            region, _, key = item.partition("=")
            try:
                valid = bool(region) and len(base64.urlsafe_b64decode(key.encode())) == 32
            except ValueError:
                valid = False
            if not valid:
                raise ValueError("peer_announcement_public_keys_by_region needs "
                                 "region=base64url-of-32-bytes, comma-separated")
            keys[region.strip()] = key.strip()
        return keys

    # KEK rotation (shared/crypto/keyring.py KeyWrapper): new wraps name this version; keys
    # wrapped by older KEKs unwrap with `previous_key_encryption_keys`
    # ("version=base64url,..."), until `python -m services.messaging.keytool rewrap`.
    key_encryption_key_version: str = Field(default="1", min_length=1, max_length=32)
    previous_key_encryption_keys: SecretStr = SecretStr("")

    def key_wrapper(self) -> KeyWrapper:
        previous = devkeys.parse_previous(self.previous_key_encryption_keys.get_secret_value())
        return KeyWrapper.from_b64(self.key_encryption_key.get_secret_value(),
                                   self.key_encryption_key_version, previous)

    # Its own credential for other services' internal endpoints (shared.auth.InternalCallers):
    # the patient mailbox at forms, each mailbox at the other's attachment hand-over.
    internal_credential: SecretStr = SecretStr(PLACEHOLDER)
    # Attachments: each file at most this large, at most this many on one message.
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    attachments_per_message: int = Field(default=5, ge=1, le=20)
