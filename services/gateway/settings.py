"""gateway's settings (env prefix GATEWAY_). No database: the gateway holds nothing clinical."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import PLACEHOLDER, ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    http_port: int = 8000
    forms_url: str = "http://127.0.0.1:8002"
    patient_mailbox_url: str = "http://127.0.0.1:8003"
    careunit_mailbox_url: str = "http://127.0.0.1:8004"
    audit_url: str = "http://127.0.0.1:8007"
    mailsink_url: str = "http://127.0.0.1:8025"
    upstream_timeout_s: float = 10.0
    # The gateway as identity's OIDC client (confidential; same secret as identity's
    # IDENTITY_GATEWAY_CLIENT_SECRET). public_url is where browsers reach the gateway: the
    # redirect URI is public_url + /callback, registered at identity exactly so.
    public_url: str = "http://127.0.0.1:8000"
    client_id: str = "gateway"
    client_secret: SecretStr = SecretStr(PLACEHOLDER)
    session_idle_s: int = 1800
    session_max_s: int = 8 * 3600

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url.rstrip('/')}/callback"

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies everywhere but plain-HTTP loopback development."""
        parts = urlsplit(self.public_url)
        return not (parts.scheme == "http"
                    and parts.hostname in ("127.0.0.1", "localhost", "::1"))

    def upstreams(self) -> dict[str, str]:
        """Public path prefix (/api/<name>/) -> base URL of the service behind it."""
        return {name: url.rstrip("/") for name, url in {
            "identity": self.identity_url,
            "forms": self.forms_url,
            "patient": self.patient_mailbox_url,
            "careunit": self.careunit_mailbox_url,
            "audit": self.audit_url,
        }.items()}
