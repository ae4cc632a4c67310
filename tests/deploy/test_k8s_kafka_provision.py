"""deploy/k8s: every overlay runs the Kafka provisioning (`python -m shared.kafka_provision`)
as a Job, logged in as the super user from the Secret `kafka-credentials`, and what the Job
is given is enough for it to create exactly the logins the Deployments use (same Secret keys,
same region, same broker). Its network policy: tests/deploy/test_k8s.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.kafka_access import SERVICES
from shared.kafka_provision import ProvisionSettings, env_name, logins
from tests.deploy import deployconfig as dc

pytestmark = pytest.mark.deploy

SECRET = "kafka-credentials"
# The Secret's keys (deploy/k8s/README.md): the super user's and each service's login.
SECRET_KEYS = {"ADMIN_USERNAME", "ADMIN_PASSWORD"} | {
    f"{s.upper().replace('-', '_')}_{what}" for s in SERVICES for what in ("USERNAME", "PASSWORD")}


def _of_kind(objs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == kind}


def job(overlay: Path) -> dict[str, Any]:
    jobs = _of_kind(dc.objects(overlay), "Job")
    assert "kafka-provision" in jobs, f"{overlay.name}: no kafka-provision Job"
    return jobs["kafka-provision"]


def job_environment(overlay: Path, secret: dict[str, str]) -> dict[str, str]:
    """The environment the Job's container gets, with `secret` as the Secret's data."""
    maps = {n: o.get("data", {}) for n, o in _of_kind(dc.objects(overlay), "ConfigMap").items()}
    (container,) = job(overlay)["spec"]["template"]["spec"]["containers"]
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "secretRef" in source:
            assert source["secretRef"]["name"] == SECRET
            data = secret
        else:
            data = maps[source["configMapRef"]["name"]]
        env |= {source.get("prefix", "") + k: v for k, v in data.items()}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
            continue
        ref = item["valueFrom"]
        if "configMapKeyRef" in ref:
            env[item["name"]] = maps[ref["configMapKeyRef"]["name"]][ref["configMapKeyRef"]["key"]]
        else:
            assert ref["secretKeyRef"]["name"] == SECRET
            env[item["name"]] = secret[ref["secretKeyRef"]["key"]]
    return env


@pytest.mark.parametrize("overlay", dc.OVERLAYS, ids=lambda p: p.name)
def test_every_overlay_provisions_kafka_with_a_job(overlay: Path) -> None:
    objs = dc.objects(overlay)
    spec = job(overlay)["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["python", "-m", "shared.kafka_provision"]
    assert pod["restartPolicy"] in ("Never", "OnFailure") and spec["backoffLimit"] >= 3
    assert "ttlSecondsAfterFinished" in spec  # so the next deployment runs it again
    # Hardened like the services: same image, same pod and container security contexts.
    identity = _of_kind(objs, "Deployment")["identity"]["spec"]["template"]["spec"]
    assert container["image"] == identity["containers"][0]["image"]
    assert pod["securityContext"] == identity["securityContext"]
    assert container["securityContext"] == identity["containers"][0]["securityContext"]
    assert pod["automountServiceAccountToken"] is False
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])


@pytest.mark.parametrize("overlay", dc.OVERLAYS, ids=lambda p: p.name)
def test_the_job_logs_in_as_the_super_user_from_the_secret(overlay: Path, monkeypatch) -> None:
    secret = {k: f"secret-{k.lower()}" for k in SECRET_KEYS}
    env = job_environment(overlay, secret)
    # No credential is written in the manifest: each comes from the Secret.
    (container,) = job(overlay)["spec"]["template"]["spec"]["containers"]
    assert not [e for e in container.get("env", []) if "value" in e
                and ("PASSWORD" in e["name"] or "USERNAME" in e["name"])]
    for key in list(ProvisionSettings.model_fields) + list(SECRET_KEYS):
        monkeypatch.delenv(f"KAFKA_PROVISION_{key.upper()}", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = ProvisionSettings()  # type: ignore[call-arg]
    assert settings.admin_username == "secret-admin_username"
    assert settings.admin_password.get_secret_value() == "secret-admin_password"
    usernames, passwords = logins(settings, env)
    assert passwords == {s: secret[env_name(s, "PASSWORD").removeprefix("KAFKA_PROVISION_")]
                         for s in SERVICES}
    assert usernames == {s: secret[env_name(s, "USERNAME").removeprefix("KAFKA_PROVISION_")]
                         for s in SERVICES}
    # The services' broker, protocol and region.
    platform = next(o["data"] for o in dc.objects(overlay) if o["kind"] == "ConfigMap"
                    and o["metadata"]["name"].startswith("platform-config"))
    assert (settings.region, settings.bootstrap_servers, settings.security_protocol) == (
        platform["REGION"], platform["KAFKA_BOOTSTRAP_SERVERS"],
        platform["KAFKA_SECURITY_PROTOCOL"])
    assert overlay.name == settings.region


@pytest.mark.parametrize("overlay", dc.OVERLAYS, ids=lambda p: p.name)
def test_the_job_creates_the_logins_the_services_use(overlay: Path) -> None:
    # Every key a Deployment reads from the Secret is one the Job provisions from.
    used = set()
    for dep in _of_kind(dc.objects(overlay), "Deployment").values():
        for container in dep["spec"]["template"]["spec"]["containers"]:
            used |= {e["valueFrom"]["secretKeyRef"]["key"] for e in container.get("env", [])
                     if e.get("valueFrom", {}).get("secretKeyRef", {}).get("name") == SECRET}
    assert used == SECRET_KEYS - {"ADMIN_USERNAME", "ADMIN_PASSWORD"}


def test_a_missing_service_password_is_named_not_guessed(monkeypatch) -> None:
    monkeypatch.setenv("KAFKA_PROVISION_ADMIN_PASSWORD", "x")
    env = {env_name(s, "PASSWORD"): "p" for s in SERVICES if s != "routing"}
    with pytest.raises(ValueError, match="KAFKA_PROVISION_ROUTING_PASSWORD"):
        logins(ProvisionSettings(), env)  # type: ignore[call-arg]


def test_compose_gives_the_same_command_every_login(monkeypatch) -> None:
    # docker-compose.yml's one-shot `kafka-acls` passes the passwords as one JSON value.
    env = dc.compose_env("kafka-acls")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    usernames, passwords = logins(ProvisionSettings(), env)  # type: ignore[call-arg]
    assert set(passwords) == set(SERVICES)
    assert usernames == {s: f"stockholm.{s}" for s in SERVICES}
