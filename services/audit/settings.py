"""Settings of the audit service (env prefix AUDIT_)."""

from __future__ import annotations

from datetime import time

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import PLACEHOLDER, DatabaseSettings


class AuditSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore")

    token_audience: str = "audit"
    # Internal caller (shared.auth.InternalCallers): operators' tools reading the log.
    internal_caller_operator: SecretStr = SecretStr(PLACEHOLDER)
    # Its own credential for identity's internal pseudonym look-up (auditors' searches).
    internal_credential: SecretStr = SecretStr(PLACEHOLDER)
    verify_batch_size: int = 1000
    # Log review (services.audit.review): working hours in the region's time zone, and the
    # share of all staff reads put before an auditor at random.
    review_work_start: time = time(7, 0)
    review_work_end: time = time(18, 0)
    review_weekdays_only: bool = True
    review_timezone: str = "Europe/Stockholm"
    review_sample_rate: float = Field(default=0.01, ge=0.0, le=1.0)
