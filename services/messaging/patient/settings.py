from pydantic import SecretStr
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
