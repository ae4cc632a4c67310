"""deploy/k8s: every overlay renders, validates against the Kubernetes schemas, and its
network policies allow exactly the calls the services make (derived from the configuration,
see deployconfig.calls) and nothing more: default deny, one allow per caller, both sides."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.deploy import deployconfig as dc

pytestmark = pytest.mark.deploy

OVERLAY_IDS = [p.name for p in dc.OVERLAYS]
# Compose's stand-ins for the managed dependencies, by their Kubernetes Service names.
COMPOSE_TO_K8S = {"mailsink": "smtp-relay"}
EXTERNAL = {"kafka", "pg-patient", "pg-careunit", "pg-platform", "smtp-relay"}
PROVISION = "kafka-provision"  # the Job that creates the services' Kafka users and ACLs


def test_there_are_overlays() -> None:
    assert {"stockholm", "vastra-gotaland"} <= set(OVERLAY_IDS)


@pytest.mark.parametrize("overlay", dc.OVERLAYS, ids=OVERLAY_IDS)
def test_overlay_renders_and_validates_strictly(overlay: Path, tmp_path: Path) -> None:
    rendered = tmp_path / f"{overlay.name}.yaml"
    rendered.write_text(dc.render(overlay))
    validator = Path(sys.executable).parent / "kubernetes-validate"
    done = subprocess.run([str(validator), "--strict", "--quiet", str(rendered)],
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    kinds = {o["kind"] for o in dc.objects(overlay)}
    assert {"Deployment", "Service", "NetworkPolicy", "ConfigMap", "Namespace"} <= kinds


def _selected(selector: dict[str, Any], names: set[str]) -> set[str]:
    """Deployments (by app.kubernetes.io/name) a podSelector picks."""
    key = "app.kubernetes.io/name"
    if not selector:
        return set(names)
    picked = set(names)
    if key in selector.get("matchLabels", {}):
        picked &= {selector["matchLabels"][key]}
    for expr in selector.get("matchExpressions", []):
        assert expr["key"] == key and expr["operator"] == "In", expr
        picked &= set(expr["values"])
    return picked


def allowed_connections(objs: list[dict[str, Any]]) -> tuple[set, set]:
    """(egress, ingress) pairs the policies allow: (caller, callee) with callee a Deployment
    name, an external dependency (from the policy's name allow-egress-to-<dependency>) or
    "dns"; ingress from anywhere is ("*", callee)."""
    names = {o["metadata"]["name"] for o in objs if o["kind"] in ("Deployment", "Job")}
    egress, ingress = set(), set()
    for pol in (o for o in objs if o["kind"] == "NetworkPolicy"):
        spec, pname = pol["spec"], pol["metadata"]["name"]
        pods = _selected(spec.get("podSelector", {}), names)
        for rule in spec.get("egress", []):
            for peer in rule.get("to", []):
                if "ipBlock" in peer:
                    target = {pname.removeprefix("allow-egress-to-")}
                elif "namespaceSelector" in peer:
                    target = {"dns"}
                else:
                    target = _selected(peer["podSelector"], names)
                egress |= {(p, t) for p in pods for t in target}
        for rule in spec.get("ingress", []):
            peers = rule.get("from")
            if not peers:
                ingress |= {("*", p) for p in pods}
                continue
            for peer in peers:
                ingress |= {(c, p) for c in _selected(peer["podSelector"], names) for p in pods}
    return egress, ingress


def expected_connections(services: set[str]) -> set[tuple[str, str]]:
    return {(s, COMPOSE_TO_K8S.get(host, host)) for s in services for host in dc.calls(s)}


@pytest.mark.parametrize("overlay", dc.OVERLAYS, ids=OVERLAY_IDS)
def test_network_policies_allow_exactly_the_calls_the_code_makes(overlay: Path) -> None:
    objs = dc.objects(overlay)
    deny = [o for o in objs if o["kind"] == "NetworkPolicy"
            and o["metadata"]["name"] == "default-deny-all"]
    assert deny and deny[0]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    services = set(dc.settings_classes())
    # The provisioning Job talks to Kafka only.
    expected = expected_connections(services) | {(PROVISION, "kafka")}
    egress, ingress = allowed_connections(objs)
    # Every pod resolves names; nothing else goes unlisted.
    pods = services | {PROVISION}
    assert {(s, "dns") for s in pods} <= egress
    assert egress - {(s, "dns") for s in pods} == expected
    internal = {(a, b) for a, b in expected if b not in EXTERNAL}
    # Ingress: the callers above, plus the world to the gateway (the ingress controller).
    assert ingress == internal | {("*", "gateway")}


def test_the_policy_check_catches_a_missing_allow() -> None:
    # Proof it can fail: the patient mailbox's call to forms (issue 11) without its policies.
    objs = [o for o in dc.objects(dc.OVERLAYS[0])
            if o["metadata"]["name"] != "allow-egress-to-forms"]
    egress, _ = allowed_connections(objs)
    assert ("patient-mailbox", "forms") in expected_connections({"patient-mailbox"})
    assert ("patient-mailbox", "forms") not in egress


def test_gateway_replicas_share_sessions() -> None:
    # More than one gateway replica only with a shared session store (PostgreSQL).
    for overlay in dc.OVERLAYS:
        objs = dc.objects(overlay)
        gateway = next(o for o in objs if o["kind"] == "Deployment"
                       and o["metadata"]["name"] == "gateway")
        if gateway["spec"].get("replicas", 1) > 1:
            assert "GATEWAY_DATABASE_URL" in dc.deployment_env(overlay)["gateway"]
            assert ("gateway", "pg-platform") in allowed_connections(objs)[0]


@pytest.mark.parametrize("overlay", dc.OVERLAYS, ids=OVERLAY_IDS)
def test_the_provisioning_job_reaches_kafka_and_nothing_else(overlay: Path) -> None:
    egress, ingress = allowed_connections(dc.objects(overlay))
    assert {callee for caller, callee in egress if caller == PROVISION} == {"kafka", "dns"}
    assert {caller for caller, callee in ingress if callee == PROVISION} == set()


def test_the_policy_check_catches_a_job_without_kafka() -> None:
    objs = [o for o in dc.objects(dc.OVERLAYS[0])
            if o["metadata"]["name"] != "allow-egress-to-kafka"]
    assert (PROVISION, "kafka") not in allowed_connections(objs)[0]
