"""The service processes of one stack: module to run, port, environment.

Each deployable reads its settings from environment variables with its own prefix
(see each service's settings.py); this is the single place the local stack wires them."""

from __future__ import annotations

import base64
import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devstack import kafka_auth
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


def _dev_announcement_key(cfg: StackConfig, mailbox: str) -> str:
    """A mailbox's development key-announcement signing key (Ed25519 seed), derived likewise."""
    digest = hashlib.sha256(f"{cfg.kek_seed}:{mailbox}-announcements".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def public_signing_key(private_b64: str) -> str:
    private = Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(private_b64))
    return base64.urlsafe_b64encode(private.public_key().public_bytes_raw()).decode()


_PEER_MAILBOX = {"patient-mailbox": "careunit-mailbox", "careunit-mailbox": "patient-mailbox"}


def _audit_env(cfg: StackConfig, pg: str, db: str) -> dict[str, str]:
    """Runs as the insert-and-select role, migrates as the owner; a development signing key
    derived like the KEKs. Tests reconcile within seconds instead of minutes."""
    key = base64.b64encode(hashlib.sha256(f"{cfg.kek_seed}:audit-signing".encode()).digest())
    env = {"DATABASE_URL": cfg.database_url(pg, db, role=f"{db}_app"),
           "OWNER_DATABASE_URL": cfg.database_url(pg, db),
           "CHECKPOINT_SIGNING_KEY": key.decode(),
           "CAREUNIT_MAILBOX_URL": service_url(cfg, "careunit-mailbox")}
    if cfg.environment == "test":
        env |= {"RECONCILE_INTERVAL_S": "1", "RECONCILE_GRACE_S": "10",
                "CHECKPOINT_EVERY_RECORDS": "100", "CHECKPOINT_EVERY_S": "5"}
    return env


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
            "KEY_ENCRYPTION_KEY": _dev_kek(cfg, name),
            **kafka_auth.service_env(cfg, name),  # its own principal at the broker
        }
        # Each internal caller's own credential; each server knows only its own callers'.
        callers = {"identity": ("notifier", "operator", "audit"), "forms": ("patient-mailbox",),
                   "audit": ("operator",), "notifier": ("operator",),
                   "careunit-mailbox": ("audit", "patient-mailbox"),
                   "patient-mailbox": ("careunit-mailbox",)}
        env |= {f"INTERNAL_CALLER_{c.upper().replace('-', '_')}": cfg.internal_credential(c)
                for c in callers.get(name, ())}
        if name in ("notifier", "patient-mailbox", "careunit-mailbox", "audit"):
            env["INTERNAL_CREDENTIAL"] = cfg.internal_credential(name)
        if pg and db:
            env["DATABASE_URL"] = cfg.database_url(pg, db)
        if name == "notifier":
            env |= {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(cfg.smtp_port),
                    "LOGIN_URL": service_url(cfg, "gateway") + "/"}
        if name in _PEER_MAILBOX:  # each signs its key announcements; the other pins it
            env |= {"ANNOUNCEMENT_SIGNING_KEY": _dev_announcement_key(cfg, name),
                    "PEER_ANNOUNCEMENT_PUBLIC_KEY": public_signing_key(
                        _dev_announcement_key(cfg, _PEER_MAILBOX[name]))}
        if name == "audit":
            env |= _audit_env(cfg, pg or "", db or "")
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
