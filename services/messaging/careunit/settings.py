from pydantic_settings import SettingsConfigDict

from shared.settings import MailboxSettings


class CareUnitMailboxSettings(MailboxSettings):
    model_config = SettingsConfigDict(env_prefix="CAREUNIT_MAILBOX_", extra="ignore")
    http_port: int = 8004
