"""Converging the broker's ACLs (shared.kafka_acl_sync, shared.kafka_provision): of the region's
service principals, the bindings not declared go and the declared missing ones come, compared
on every field; nobody else's bindings are touched; creating comes before deleting; a dry run
changes nothing. The admin client is a fake here; tests/integration/test_kafka_provision.py
runs the same on a real broker."""

from __future__ import annotations

from concurrent.futures import Future

import pytest
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
)

from shared import kafka_provision
from shared.kafka import KafkaAuth
from shared.kafka_access import SERVICES, principals, region_acls
from shared.kafka_acl_sync import converge, describe, plan

REGION = "stockholm"
DECLARED = [kafka_provision._binding(a) for a in region_acls(REGION)]
MANAGED = {f"User:{u}" for u in principals(REGION).values()}
ROUTING = f"User:{REGION}.routing"


def binding(principal: str, name: str = f"{REGION}.", *, pattern=ResourcePatternType.PREFIXED,
            op=AclOperation.READ, permission=AclPermissionType.ALLOW, host: str = "*",
            kind=ResourceType.TOPIC) -> AclBinding:
    return AclBinding(kind, name, pattern, principal, host, op, permission)


# What an older release gave routing (READ on every topic of its region), a DENY it no
# longer has, and bindings of principals the project does not manage.
OLD_ROUTING = binding(ROUTING)
OLD_DENY = binding(ROUTING, f"{REGION}.notifier.events", pattern=ResourcePatternType.LITERAL,
                   op=AclOperation.DESCRIBE, permission=AclPermissionType.DENY)
UNMANAGED = [binding(f"User:{REGION}.lag-exporter"),  # the region's prefix, not a service
             binding("User:goteborg.routing", "goteborg."),  # another region's routing
             binding("User:admin"), binding("User:*", "public.")]


def _done(value) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f


class FakeAdmin:
    """confluent_kafka's AdminClient over a set of bindings, recording the writes in order."""

    def __init__(self, held) -> None:
        self.held, self.calls = set(held), []

    def describe_acls(self, f: AclBindingFilter, request_timeout: float) -> Future:
        assert (f.restype, f.name, f.resource_pattern_type, f.host, f.operation,
                f.permission_type) == (ResourceType.ANY, None, ResourcePatternType.ANY, None,
                                       AclOperation.ANY, AclPermissionType.ANY)
        return _done([b for b in self.held if b.principal == f.principal])

    def create_acls(self, bindings, request_timeout: float) -> dict:
        self.calls.append(("create", list(bindings)))
        self.held |= set(bindings)
        return {b: _done(None) for b in bindings}

    def delete_acls(self, filters, request_timeout: float) -> dict:
        # Only exact filters: every field given, the same as the binding's.
        gone = [AclBinding(*f._to_tuple()) for f in filters]
        assert all(g in self.held for g in gone)
        self.calls.append(("delete", gone))
        self.held -= set(gone)
        return {f: _done([g]) for f, g in zip(filters, gone)}

    def alter_user_scram_credentials(self, upserts, request_timeout: float) -> dict:
        self.calls.append(("users", [u.user for u in upserts]))
        return {u.user: _done(None) for u in upserts}


def test_the_undeclared_bindings_of_managed_principals_go_and_only_those() -> None:
    todo = plan(DECLARED, DECLARED + [OLD_ROUTING, OLD_DENY] + UNMANAGED, MANAGED)
    assert todo.missing == ()
    assert set(todo.stale) == {OLD_ROUTING, OLD_DENY}


CHANGES = {"host": {"host": "10.0.0.7"}, "pattern": {"pattern": ResourcePatternType.LITERAL},
           "permission": {"permission": AclPermissionType.DENY},
           "operation": {"op": AclOperation.ALTER}, "resource": {"kind": ResourceType.GROUP}}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_bindings_compare_on_every_field(change: dict) -> None:
    declared = binding(ROUTING, f"{REGION}.routing-", op=AclOperation.WRITE)
    assert declared in DECLARED
    other = binding(ROUTING, f"{REGION}.routing-", **({"op": AclOperation.WRITE} | change))
    todo = plan(DECLARED, [b for b in DECLARED if b != declared] + [other], MANAGED)
    assert (todo.missing, todo.stale) == ((declared,), (other,))


def test_converging_creates_then_deletes_and_a_second_run_changes_nothing() -> None:
    admin = FakeAdmin(DECLARED[5:] + [OLD_ROUTING, OLD_DENY] + UNMANAGED)
    todo = converge(admin, DECLARED, MANAGED, timeout_s=1)  # type: ignore[arg-type]
    assert [c[0] for c in admin.calls] == ["create", "delete"]
    assert set(admin.calls[0][1]) == set(DECLARED[:5]) == set(todo.missing)
    assert set(admin.calls[1][1]) == {OLD_ROUTING, OLD_DENY}
    assert admin.held == set(DECLARED) | set(UNMANAGED)
    again = converge(admin, DECLARED, MANAGED, timeout_s=1)  # type: ignore[arg-type]
    assert (again.missing, again.stale, len(admin.calls)) == ((), (), 2)


def test_provision_upserts_then_converges_the_users_it_is_given(monkeypatch) -> None:
    # Kubernetes may name the users (`<SERVICE>_USERNAME`): those are the managed principals,
    # and the default names are then someone else's.
    names = {s: f"{REGION}-{s}" for s in SERVICES}
    declared = {kafka_provision._binding(a) for a in region_acls(REGION, names)}
    extra = binding(f"User:{REGION}-routing")
    admin = FakeAdmin([OLD_ROUTING, extra])
    monkeypatch.setattr(kafka_provision, "admin_client", lambda *_: admin)
    login = KafkaAuth("SASL_PLAINTEXT", "SCRAM-SHA-512", "admin", "x")
    assert kafka_provision.provision("b:9092", login, REGION, {s: "pw" for s in SERVICES},
                                     names) == len(declared)
    assert [c[0] for c in admin.calls] == ["users", "create", "delete"]
    assert admin.calls[0][1] == list(names.values()) and admin.calls[2][1] == [extra]
    assert admin.held == declared | {OLD_ROUTING}


def test_a_dry_run_prints_the_changes_and_makes_none(monkeypatch, capsys) -> None:
    admin = FakeAdmin(DECLARED[1:] + [OLD_ROUTING] + UNMANAGED)
    monkeypatch.setattr(kafka_provision, "admin_client", lambda *_: admin)
    monkeypatch.setenv("KAFKA_PROVISION_ADMIN_PASSWORD", "secret-admin")
    monkeypatch.setenv("KAFKA_PROVISION_DRY_RUN", "true")
    for s in SERVICES:
        monkeypatch.setenv(kafka_provision.env_name(s, "PASSWORD"), f"secret-{s}")
    kafka_provision.main()
    out = capsys.readouterr().out
    assert admin.calls == []
    assert f"kafka: would create {describe(DECLARED[0])}\n" in out
    assert f"kafka: would remove {describe(OLD_ROUTING)}\n" in out
    assert "dry run: 1 to create, 1 to remove, nothing changed" in out
    assert "secret" not in out
    assert describe(OLD_ROUTING) == (
        "ALLOW READ topic:PREFIXED:stockholm. User:stockholm.routing@*")
