"""Settings of the audit service (env prefix AUDIT_)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import PLACEHOLDER, DatabaseSettings


class AuditSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore")

    token_audience: str = "audit"
    # Internal caller (shared.auth.InternalCallers): operators' tools reading the log.
    internal_caller_operator: SecretStr = SecretStr(PLACEHOLDER)
    verify_batch_size: int = 1000
