"""One source of truth for configuration: every setting a service needs (read from its pydantic
settings class, see deployconfig.py) is set by the local run (devstack), by
docker-compose.yml and by every Kubernetes overlay. Adding a required setting, a placeholder
secret or a new upstream URL to a settings class fails here until all three provide it."""

from __future__ import annotations

import pytest

from devstack import config as devstack_config
from devstack.services import service_specs
from tests.deploy import deployconfig as dc

pytestmark = pytest.mark.deploy

SERVICES = sorted(dc.settings_classes())


def test_every_deployable_is_found() -> None:
    # The discovery itself: a renamed settings module must not make this suite vacuous.
    assert set(SERVICES) == {"identity", "forms", "patient-mailbox", "careunit-mailbox",
                             "routing", "notifier", "audit", "gateway"}
    assert "forms_url" in dc.needed("patient-mailbox", container=False)
    assert "database_url" in dc.needed("identity", container=False)


@pytest.mark.parametrize("service", SERVICES)
def test_devstack_sets_what_the_service_needs(service: str, tmp_path) -> None:
    specs = {s.name: s for s in service_specs(devstack_config.test_config(tmp_path))}
    assert service in specs, f"devstack does not run {service}"
    assert dc.missing(service, set(specs[service].env), container=False) == set()


@pytest.mark.parametrize("service", SERVICES)
def test_compose_sets_what_the_service_needs(service: str) -> None:
    assert service in dc.compose()["services"], f"docker-compose.yml does not run {service}"
    assert dc.missing(service, set(dc.compose_env(service)), container=True) == set()


@pytest.mark.parametrize("overlay", dc.OVERLAYS, ids=lambda p: p.name)
def test_every_k8s_overlay_sets_what_each_service_needs(overlay) -> None:
    env = dc.deployment_env(overlay)
    gaps = {service: dc.missing(service, env.get(service, set()), container=True)
            for service in SERVICES}
    assert {s for s in SERVICES if s not in env} == set(), "services without a Deployment"
    assert {s: g for s, g in gaps.items() if g} == {}


def test_the_check_catches_a_missing_setting() -> None:
    # Proof the check can fail: take the patient mailbox's forms address away again.
    env = set(dc.compose_env("patient-mailbox")) - {"PATIENT_MAILBOX_FORMS_URL"}
    assert dc.missing("patient-mailbox", env, container=True) == {"PATIENT_MAILBOX_FORMS_URL"}
