from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import PLACEHOLDER, MailboxSettings


class CareUnitMailboxSettings(MailboxSettings):
    model_config = SettingsConfigDict(env_prefix="CAREUNIT_MAILBOX_", extra="ignore")
    http_port: int = 8004
    # How often unanswered messages are checked against the unit's promised answer time.
    overdue_check_interval_s: float = Field(default=5.0, gt=0, le=3600)
    # Internal caller (shared.auth.InternalCallers): audit reconciling against the access log.
    internal_caller_audit: SecretStr = SecretStr(PLACEHOLDER)
    # The patient mailbox, whose internal API hands over the patients' attachments.
    patient_mailbox_url: str = "http://127.0.0.1:8003"
    # Internal caller: the patient mailbox fetching the units' sealed attachments.
    internal_caller_patient_mailbox: SecretStr = SecretStr(PLACEHOLDER)
