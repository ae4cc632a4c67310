"""The service processes of one stack: module to run, port, environment.

Each deployable reads its settings from environment variables with its own prefix
(see each service's settings.py); this is the single place the local stack wires them."""

from __future__ import annotations

import base64
import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

from devstack.config import REPO_ROOT, StackConfig


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # e.g. "patient-mailbox"
    module: str  # run as `python -m <module>`
    port: int
    env: dict[str, str] = field(default_factory=dict)
    health_path: str = "/readyz"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


DEFAULT_PORTS = {
    "gateway": 8000,
    "identity": 8001,
    "forms": 8002,
    "patient-mailbox": 8003,
    "careunit-mailbox": 8004,
    "routing": 8005,
    "notifier": 8006,
    "audit": 8007,
}

# (service, env prefix, module, pg server, database)
_LAYOUT = (
    ("identity", "IDENTITY_", "services.identity", "platform", "identity"),
    ("forms", "FORMS_", "services.forms", "platform", "forms"),
    ("patient-mailbox", "PATIENT_MAILBOX_", "services.messaging.patient", "patient",
     "patient_mailbox"),
    ("careunit-mailbox", "CAREUNIT_MAILBOX_", "services.messaging.careunit", "careunit",
     "careunit_mailbox"),
    ("routing", "ROUTING_", "services.routing", None, None),
    ("notifier", "NOTIFIER_", "services.notifier", "platform", "notifier"),
    ("audit", "AUDIT_", "services.audit", "platform", "audit"),
    ("gateway", "GATEWAY_", "services.gateway", "platform", "gateway"),
)


def _dev_kek(cfg: StackConfig, service: str) -> str:
    """A deterministic development key-encryption key per service (never used outside dev/test)."""
    digest = hashlib.sha256(f"{cfg.kek_seed}:{service}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def _dev_client_secret(cfg: StackConfig) -> str:
    """The gateway's OIDC client secret at identity, derived like the dev KEKs."""
    return hashlib.sha256(f"{cfg.kek_seed}:gateway-client".encode()).hexdigest()


def service_url(cfg: StackConfig, name: str) -> str:
    return f"http://127.0.0.1:{cfg.port(DEFAULT_PORTS[name])}"


def service_specs(cfg: StackConfig) -> list[ServiceSpec]:
    specs = []
    for name, prefix, module, pg, db in _LAYOUT:
        port = cfg.port(DEFAULT_PORTS[name])
        env = {
            "ENVIRONMENT": cfg.environment,
            "REGION": cfg.region,
            "HTTP_PORT": str(port),
            "KAFKA_BOOTSTRAP_SERVERS": cfg.kafka_bootstrap,
            "IDENTITY_URL": service_url(cfg, "identity"),
            "INTERNAL_API_KEY": cfg.internal_api_key,
            "KEY_ENCRYPTION_KEY": _dev_kek(cfg, name),
        }
        if pg and db:
            env["DATABASE_URL"] = cfg.database_url(pg, db)
        if name == "notifier":
            env |= {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(cfg.smtp_port),
                    "LOGIN_URL": service_url(cfg, "gateway") + "/"}
        if name == "patient-mailbox":
            env["FORMS_URL"] = service_url(cfg, "forms")
            env["CAREUNIT_MAILBOX_URL"] = service_url(cfg, "careunit-mailbox")
        if name == "careunit-mailbox":
            env["PATIENT_MAILBOX_URL"] = service_url(cfg, "patient-mailbox")
        if name == "routing":
            env["DATA_DIR"] = str(cfg.data_dir / "routing")
        if name == "identity":  # the gateway is identity's registered OIDC client
            gateway = service_url(cfg, "gateway")
            env |= {"GATEWAY_CLIENT_SECRET": _dev_client_secret(cfg),
                    "GATEWAY_REDIRECT_URI": f"{gateway}/callback",
                    "GATEWAY_POST_LOGOUT_REDIRECT_URI": f"{gateway}/"}
        if name == "gateway":
            for upstream in ("identity", "forms", "patient-mailbox", "careunit-mailbox", "audit"):
                key = upstream.upper().replace("-", "_") + "_URL"
                env[key] = service_url(cfg, upstream)
            env["MAILSINK_URL"] = f"http://127.0.0.1:{cfg.mailsink_http_port}"
            env |= {"PUBLIC_URL": service_url(cfg, "gateway"),
                    "CLIENT_SECRET": _dev_client_secret(cfg),
                    "SESSION_SECRET": hashlib.sha256(
                        f"{cfg.kek_seed}:gateway-sessions".encode()).hexdigest()}
        specs.append(ServiceSpec(name, module, port, {prefix + k: v for k, v in env.items()}))
    return specs


def python_executable() -> str:
    """The project's venv Python if there is one (what scripts/bootstrap makes), else ours."""
    venv = REPO_ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.is_file() else sys.executable


def module_file(module: str, root: Path = REPO_ROOT) -> Path | None:
    """The file `python -m module` would run from `root`, or None if there is none."""
    base = root.joinpath(*module.split("."))
    for candidate in (base / "__main__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def missing_modules(specs: dict[str, ServiceSpec], names: list[str]) -> list[str]:
    """One line per service whose `python -m` module does not exist."""
    return [f"  {n}: `python -m {specs[n].module}` (no {specs[n].module.replace('.', '/')}"
            f"/__main__.py or .py under {REPO_ROOT})"
            for n in names if module_file(specs[n].module) is None]
