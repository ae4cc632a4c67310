"""What each deployable needs, read from the code, and what each deployment gives it.

The one source of truth is each service's pydantic settings class (`services/**/settings.py`,
found by walking the package, so moved modules are still found). From it:

- `needed(service, target)`: the settings a deployment must set. Everywhere: fields without a
  default, secrets whose default is the placeholder (production refuses to start with it),
  and the addresses of what the service really calls (a `*_url`, Kafka, database or SMTP
  setting that its code reads). In containers also every setting whose default names
  loopback, which is wrong inside a container.
- `calls(service)`: the hosts the address settings point to in docker-compose.yml, from
  which tests/deploy/test_k8s.py derives the network policies.

The deployments: devstack/services.py (local run), docker-compose.yml, and every rendered
deploy/k8s overlay (`kubectl kustomize`, or the kustomize binary)."""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import SecretStr

import services
from shared.settings import PLACEHOLDER, ServiceSettings

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
OVERLAYS = sorted(p for p in (REPO / "deploy/k8s/overlays").iterdir() if p.is_dir())
LOOPBACK = re.compile(r"(127\.0\.0\.1|localhost|\[?::1\]?)")
# Settings that name loopback on purpose and never matter in a container deployment.
LOOPBACK_EXEMPT = {
    # identity's built-in test client (PKCE, automated tests): off outside development/test.
    "identity": {"test_client_redirect_uri"},
    # the dev mail sink's web page, linked from the UI only in development
    "gateway": {"mailsink_url"},
}
# The address settings: a service that reads one connects to what it names.
ADDRESS_FIELD = re.compile(r"(_url|^kafka_bootstrap_servers|^smtp_host)$")
# Addresses that are for browsers (links, redirects, e-mails), not connections the code makes.
BROWSER_ADDRESSES = {"public_url", "login_url", "letter_login_url", "mailsink_url",
                     "gateway_redirect_uri", "gateway_post_logout_redirect_uri",
                     "test_client_redirect_uri", "canonical_base", "eid_broker_issuer"}


def _prefix_to_service(prefix: str) -> str:
    return prefix.rstrip("_").lower().replace("_", "-")


@functools.cache
def settings_classes() -> dict[str, tuple[type[ServiceSettings], Path]]:
    """Deployable name (docker-compose service, k8s Deployment) -> its settings class and
    the source directory of its code."""
    found: dict[str, tuple[type[ServiceSettings], Path]] = {}
    for info in pkgutil.walk_packages(services.__path__, "services."):
        if not info.name.endswith(".settings"):
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            prefix = getattr(obj, "model_config", {}).get("env_prefix") \
                if isinstance(obj, type) and issubclass(obj, ServiceSettings) else None
            if prefix and obj.__module__ == module.__name__:
                found[_prefix_to_service(prefix)] = (obj, Path(module.__file__).parent)
    return found


def env_prefix(service: str) -> str:
    return str(settings_classes()[service][0].model_config["env_prefix"])


def code_dirs(service: str) -> list[Path]:
    """The service's own code: its package, and the parent package when that is shared by
    sibling deployables (services/messaging for the two mailboxes)."""
    here = settings_classes()[service][1]
    dirs = [here]
    if here.parent.name != "services":
        dirs.append(here.parent)
    return dirs


@functools.cache
def fields_read(service: str) -> frozenset[str]:
    """Settings fields the service's code reads (`settings.x`, `self.x`, `s.x`, ...)."""
    cls = settings_classes()[service][0]
    code = ""
    for d in code_dirs(service):
        for path in (d.rglob("*.py") if d == code_dirs(service)[0] else d.glob("*.py")):
            code += path.read_text(encoding="utf-8")
    return frozenset(name for name in cls.model_fields
                     if re.search(rf"\.{name}\b", code))


def _default(field: Any) -> Any:
    return None if field.is_required() else field.get_default(call_default_factory=True)


def address_fields(service: str) -> set[str]:
    """Address settings the service's code reads: what it connects to."""
    cls = settings_classes()[service][0]
    return {name for name in cls.model_fields
            if (ADDRESS_FIELD.search(name) or name == "database_url")
            and name not in BROWSER_ADDRESSES and name in fields_read(service)}


def needed(service: str, *, container: bool) -> set[str]:
    """Field names (without prefix) a deployment of `service` must set."""
    cls = settings_classes()[service][0]
    out = set(address_fields(service))
    for name, field in cls.model_fields.items():
        default = _default(field)
        placeholder = default == PLACEHOLDER or (
            isinstance(default, SecretStr) and default.get_secret_value() == PLACEHOLDER)
        loopback = (container and isinstance(default, str) and bool(LOOPBACK.search(default))
                    # what the code reads; the listening address is read by shared/serve.py
                    and (name in fields_read(service) or name == "http_host")
                    and name not in LOOPBACK_EXEMPT.get(service, set()))
        if field.is_required() or placeholder or loopback:
            out.add(name)
    return out


def missing(service: str, env: set[str], *, container: bool) -> set[str]:
    prefix = env_prefix(service)
    return {prefix + name.upper() for name in needed(service, container=container)} - env


# --- docker-compose.yml ---------------------------------------------------------------------

@functools.cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def compose_env(service: str) -> dict[str, str]:
    env = compose()["services"][service].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def host_of(value: str) -> str | None:
    """The host an address setting names (URL, host:port, or a bare host)."""
    if "://" in value:
        return urlsplit(value).hostname
    return value.split(",")[0].rsplit(":", 1)[0] or None


def calls(service: str) -> set[str]:
    """Hosts the service connects to: those its address settings name in compose (every
    `*_URL`, `DATABASE_URL`, `KAFKA_BOOTSTRAP_SERVERS`, `SMTP_HOST` it is given, except the
    addresses for browsers). Compose gives each service only what it uses."""
    prefix = env_prefix(service)
    out = set()
    for key, value in compose_env(service).items():
        name = key.removeprefix(prefix).lower()
        if not key.startswith(prefix) or name in BROWSER_ADDRESSES:
            continue
        if ADDRESS_FIELD.search(name) or name == "database_url":
            host = host_of(value)
            if host and host != service:
                out.add(host)
    return out


# --- deploy/k8s ---------------------------------------------------------------------------

def kustomize_command() -> list[str] | None:
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    cached = REPO / ".cache/bin/kustomize"
    if cached.is_file():
        return [str(cached), "build"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    return None


@functools.cache
def render(overlay: Path) -> str:
    command = kustomize_command()
    assert command is not None, "neither kubectl nor kustomize: run scripts/bootstrap"
    done = subprocess.run([*command, str(overlay)], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, f"{overlay} does not render:\n{done.stderr}"
    return done.stdout


def objects(overlay: Path) -> list[dict[str, Any]]:
    return [o for o in yaml.safe_load_all(render(overlay)) if o]


def deployment_env(overlay: Path) -> dict[str, set[str]]:
    """Deployment name -> every environment variable name its container gets."""
    objs = objects(overlay)
    maps = {o["metadata"]["name"]: o.get("data", {}) for o in objs if o["kind"] == "ConfigMap"}
    out: dict[str, set[str]] = {}
    for dep in (o for o in objs if o["kind"] == "Deployment"):
        names: set[str] = set()
        for container in dep["spec"]["template"]["spec"]["containers"]:
            names |= {e["name"] for e in container.get("env", [])}
            for source in container.get("envFrom", []):
                ref = source.get("configMapRef")
                assert ref, f"{dep['metadata']['name']}: envFrom other than a ConfigMap"
                names |= {source.get("prefix", "") + key for key in maps[ref["name"]]}
        out[dep["metadata"]["name"]] = names
    return out
