"""gateway's settings (env prefix GATEWAY_). The gateway's own database holds only sessions
(encrypted); nothing clinical."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import PLACEHOLDER, ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    http_port: int = 8000
    # The gateway has no Kafka client, hence no principal at the broker.
    uses_kafka: ClassVar[bool] = False
    kafka_username: str = ""
    kafka_password: SecretStr = SecretStr("")
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
    session_idle_s: int = 15 * 60
    session_max_s: int = 8 * 3600
    # Sessions shared by every replica: PostgreSQL (the platform server, database "gateway").
    # Unset only in development and tests (then one process's memory holds them).
    database_url: str | None = None
    # Encrypts session contents (refresh tokens) at rest: AES-256-GCM, key derived from it.
    session_secret: SecretStr = SecretStr(PLACEHOLDER)
    # Request bodies larger than this are refused with 413 (forms and JSON are small).
    max_body_bytes: int = 64 * 1024
    # Attachment uploads only (their own routes): per file, and files per message. Keep
    # equal to the mailboxes' ATTACHMENT_MAX_BYTES / ATTACHMENTS_PER_MESSAGE.
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    max_files_per_message: int = Field(default=5, ge=1, le=20)
    # A FHIR Questionnaire file uploaded to the form designer's import page (its route only).
    max_import_bytes: int = Field(default=1024 * 1024, ge=64 * 1024, le=16 * 1024 * 1024)
    # Where the design system and htmx are (npm's node_modules; the image copies them).
    assets_dir: Path = Path(__file__).resolve().parents[2] / "node_modules"
    # A page that shows the local mail sink's messages; never in production.
    show_mailsink: bool | None = None

    @model_validator(mode="after")
    def _sessions_shared_outside_development(self) -> GatewaySettings:
        if self.environment == "production" and not self.database_url:
            raise ValueError("database_url is needed in production (sessions are shared)")
        if self.show_mailsink is None:
            self.show_mailsink = self.environment in ("development", "test")
        elif self.show_mailsink and self.environment == "production":
            raise ValueError("the mail sink page is for development only")
        return self

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
