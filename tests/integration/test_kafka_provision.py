"""Provisioning converges the broker's ACLs (shared.kafka_provision, shared.kafka_acl_sync): on
a broker an older release provisioned, routing still held READ on every topic of its region
(a prefixed ACL); provisioning removes that and any other binding the region's service users
hold beyond the declaration, leaves other principals' bindings alone, and a second run
changes nothing."""

from __future__ import annotations

import logging

import pytest
from aiokafka.errors import TopicAuthorizationFailedError
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
)

from devstack.kafka_auth import provision_region
from devstack.people import eventually
from shared.events.topics import NOTIFIER
from shared.kafka import TopicPolicy, ensure_event_topics
from shared.kafka_access import SERVICES, region_acls
from shared.kafka_acl_sync import held_by
from shared.kafka_provision import _binding, admin_client
from tests.integration.kafka_reads import read

pytestmark = pytest.mark.integration


def acl(cls, principal: str, name: str, pattern: ResourcePatternType, op: AclOperation,
        permission: AclPermissionType = AclPermissionType.ALLOW):
    return cls(ResourceType.TOPIC, name, pattern, principal, "*", op, permission)


@pytest.fixture(scope="module")
async def cfg(infra):
    await ensure_event_topics(infra.cfg.kafka_bootstrap, [NOTIFIER], TopicPolicy(),
                              infra.cfg.region, infra.cfg.kafka_auth())
    return infra.cfg


async def _routing_reads_notifier(cfg) -> bool:
    try:
        await read(cfg, cfg.kafka_auth(cfg.kafka_user("routing")), NOTIFIER)
    except TopicAuthorizationFailedError:
        return False
    return True


async def test_provisioning_removes_what_is_no_longer_declared(cfg, caplog) -> None:
    region, client = cfg.region, admin_client(cfg.kafka_bootstrap, cfg.kafka_auth())
    managed = {f"User:{cfg.kafka_user(s)}" for s in SERVICES}
    routing = f"User:{cfg.kafka_user('routing')}"
    stale = [  # the old release's READ on the whole region, and a DENY no release declares
        (routing, f"{region}.", ResourcePatternType.PREFIXED, AclOperation.READ),
        (routing, f"{region}.audit.events", ResourcePatternType.LITERAL, AclOperation.WRITE,
         AclPermissionType.DENY)]
    unmanaged = [  # the region's prefix but no service of it, and another region's routing
        (f"User:{region}.lag-exporter", f"{region}.", ResourcePatternType.PREFIXED,
         AclOperation.READ),
        ("User:otherregion.routing", f"{region}.", ResourcePatternType.PREFIXED,
         AclOperation.READ)]
    for future in client.create_acls([acl(AclBinding, *x) for x in stale + unmanaged]).values():
        future.result(timeout=30)
    try:
        await eventually(lambda: _routing_reads_notifier(cfg), timeout=15,
                         what="the old release's ACL to let routing read the notifier's topic")

        provision_region(cfg)

        declared = {_binding(a) for a in region_acls(region, {s: cfg.kafka_user(s)
                                                               for s in SERVICES})}

        async def exactly_declared() -> bool:
            return set(held_by(client, managed, 30)) == declared
        await eventually(exactly_declared, timeout=15, what="only the declared ACLs")
        others = set(held_by(client, {x[0] for x in unmanaged}, 30))
        assert others == {acl(AclBinding, *x) for x in unmanaged}

        async def refused() -> bool:
            return not await _routing_reads_notifier(cfg)
        await eventually(refused, timeout=15, what="routing refused the notifier's topic")

        with caplog.at_level(logging.INFO, logger="shared.kafka_provision"):
            provision_region(cfg)
        [done] = [r for r in caplog.records if r.getMessage() == "kafka acls converged"]
        assert (done.acls_created, done.acls_removed) == (0, 0)  # type: ignore[attr-defined]
        assert set(held_by(client, managed, 30)) == declared
    finally:  # leave the session's broker as the other tests expect it
        filters = [acl(AclBindingFilter, *x) for x in stale + unmanaged]
        for future in client.delete_acls(filters).values():
            future.result(timeout=30)
