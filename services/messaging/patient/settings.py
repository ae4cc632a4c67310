from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import PLACEHOLDER, MailboxSettings


class PatientMailboxSettings(MailboxSettings):
    model_config = SettingsConfigDict(env_prefix="PATIENT_MAILBOX_", extra="ignore")
    http_port: int = 8003
    forms_url: str = "http://127.0.0.1:8002"
    # Its own credential for forms' answer validation (shared.auth.InternalCallers).
    internal_credential: SecretStr = SecretStr(PLACEHOLDER)
