"""gateway's settings (env prefix GATEWAY_). No database: the gateway holds nothing clinical."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    http_port: int = 8000
    forms_url: str = "http://127.0.0.1:8002"
    patient_mailbox_url: str = "http://127.0.0.1:8003"
    careunit_mailbox_url: str = "http://127.0.0.1:8004"
    audit_url: str = "http://127.0.0.1:8007"
    mailsink_url: str = "http://127.0.0.1:8025"
    upstream_timeout_s: float = 10.0

    def upstreams(self) -> dict[str, str]:
        """Public path prefix (/api/<name>/) -> base URL of the service behind it."""
        return {name: url.rstrip("/") for name, url in {
            "identity": self.identity_url,
            "forms": self.forms_url,
            "patient": self.patient_mailbox_url,
            "careunit": self.careunit_mailbox_url,
            "audit": self.audit_url,
        }.items()}
