"""Base settings for every deployable (pydantic-settings; one env prefix per service).

Fails closed: outside development and test, a secret still holding its placeholder value
stops the service at start-up instead of running with a known key."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER = "changethis"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    environment: Literal["development", "test", "production"] = "production"
    region: str = "stockholm"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    identity_url: str = "http://127.0.0.1:8001"
    internal_api_key: SecretStr = SecretStr(PLACEHOLDER)
    # Every request body is capped (413 above it); 256 KiB holds the largest form answers.
    max_request_body_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)
    # Topics this service creates when missing (1 locally; 3 and 2 in Kubernetes).
    kafka_topic_replication_factor: int = Field(default=1, ge=1)
    kafka_topic_min_insync_replicas: int = Field(default=1, ge=1)
    kafka_topic_retention_ms: int = Field(default=7 * 24 * 3600 * 1000, ge=-1)
    # Processed-event rows are kept this long to recognise a redelivery; outbox rows that
    # were published, this long for operators tracing an event.
    inbox_retention_days: float = Field(default=7.0, gt=0)
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
        return self


class DatabaseSettings(ServiceSettings):
    database_url: str = "postgresql+psycopg://localhost/unset"


class MailboxSettings(DatabaseSettings):
    key_encryption_key: SecretStr = SecretStr(PLACEHOLDER)
    # Attachments: each file at most this large, at most this many on one message.
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    attachments_per_message: int = Field(default=5, ge=1, le=20)
