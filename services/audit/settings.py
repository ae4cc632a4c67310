"""Settings of the audit service (env prefix AUDIT_)."""

from __future__ import annotations

from datetime import time

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict
from sqlalchemy.engine import make_url

from shared.settings import PLACEHOLDER, DatabaseSettings


class AuditSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore")

    token_audience: str = "audit"
    # Internal caller (shared.auth.InternalCallers): operators' tools reading the log.
    internal_caller_operator: SecretStr = SecretStr(PLACEHOLDER)
    # Its own credential for identity's internal pseudonym look-up (auditors' searches).
    internal_credential: SecretStr = SecretStr(PLACEHOLDER)
    # Log review (services.audit.review): working hours in the region's time zone, and the
    # share of all staff reads put before an auditor at random.
    review_work_start: time = time(7, 0)
    review_work_end: time = time(18, 0)
    review_weekdays_only: bool = True
    review_timezone: str = "Europe/Stockholm"
    review_sample_rate: float = Field(default=0.01, ge=0.0, le=1.0)
    verify_batch_size: int = Field(default=1000, ge=1, le=100_000)
    # database_url is the runtime role (INSERT and SELECT on the log only); migrations,
    # partitions and grants run as the database's owner, connected through this one.
    owner_database_url: str = "postgresql+psycopg://localhost/unset"
    # Ed25519 private key (base64 of its 32 raw bytes) signing every record and checkpoint.
    # Kept outside the audit database, so its owner cannot re-sign a rewritten history.
    checkpoint_signing_key: SecretStr = SecretStr(PLACEHOLDER)
    # After a key rotation: the public keys (base64) of the keys it replaced, so records and
    # checkpoints they signed still verify. Public keys only: nothing secret.
    checkpoint_previous_public_keys: list[str] = Field(default_factory=list, max_length=20)
    checkpoint_every_records: int = Field(default=1000, ge=1, le=1_000_000)
    checkpoint_every_s: float = Field(default=60.0, gt=0, le=86_400)
    # Reconciliation against the care-unit mailbox's access log.
    careunit_mailbox_url: str = "http://127.0.0.1:8004"
    reconcile_interval_s: float = Field(default=30.0, gt=0, le=86_400)
    # An access younger than this is left to the consumer (which normally records it in
    # well under a second); older and still missing, it is recovered.
    reconcile_grace_s: float = Field(default=120.0, ge=0, le=86_400)
    # Every append costs about a dozen statements and a relay round whatever its size:
    # an event is in the log up to this much later, in batches several times larger.
    consume_gather_s: float = Field(default=0.1, ge=0, le=2.0)
    # About twenty audited events: a busy region's events come in a few fetches a second.
    consume_fetch_min_bytes: int = Field(default=16 * 1024, ge=1, le=1024 * 1024)
    outbox_linger_s: float = Field(default=0.1, ge=0, le=2.0)
    reconcile_page_size: int = Field(default=500, ge=1, le=1000)
    # Access records are kept at least five years (HSLF-FS 2016:40); nothing shortens it.
    retention_years: int = Field(default=5, ge=5, le=100)
    partition_months_ahead: int = Field(default=12, ge=1, le=120)

    @model_validator(mode="after")
    def _separate_roles(self) -> AuditSettings:
        if self.environment == "production" and self.checkpoint_signing_key.get_secret_value() \
                == PLACEHOLDER:
            raise ValueError("checkpoint_signing_key is required in production")
        if self.environment == "production" and (
                make_url(self.owner_database_url).username
                == make_url(self.database_url).username):
            raise ValueError("owner_database_url and database_url must be different roles: "
                             "the service must not run as the log's owner")
        return self
