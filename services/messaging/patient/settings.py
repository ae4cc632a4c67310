from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import PLACEHOLDER, MailboxSettings


class PatientMailboxSettings(MailboxSettings):
    model_config = SettingsConfigDict(env_prefix="PATIENT_MAILBOX_", extra="ignore")
    http_port: int = 8003
    forms_url: str = "http://127.0.0.1:8002"
    # The care-unit mailbox, whose internal API hands over the units' attachments.
    careunit_mailbox_url: str = "http://127.0.0.1:8004"
    # Internal caller: the care-unit mailbox fetching the patients' sealed attachments.
    internal_caller_careunit_mailbox: SecretStr = SecretStr(PLACEHOLDER)
    # A first message the care unit has not confirmed within resend_after_s is published
    # again (services/messaging/patient/resend.py), checked every resend_check_interval_s,
    # for at most resend_within_s after it was written.
    resend_check_interval_s: float = Field(default=15.0, gt=0, le=3600)
    resend_after_s: float = Field(default=90.0, ge=5, le=86400)
    resend_within_s: float = Field(default=86400.0, gt=0, le=6 * 86400)
