"""Settings of the audit service (env prefix AUDIT_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import DatabaseSettings


class AuditSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore")

    token_audience: str = "audit"
    verify_batch_size: int = 1000
