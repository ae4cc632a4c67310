"""Converges the ACLs of a region's service principals on the broker to the declaration
(shared.kafka_access): what is declared and missing is created, then whatever those principals
hold beyond the declaration (ALLOW or DENY, any resource) is deleted, so an ACL narrowed in a
newer release is narrowed on a broker an older release provisioned too.

Only the principals given are touched, matched exactly (`User:<region>.<service>`, not by
prefix): the super user, other regions' users and any principal the project does not manage
keep their ACLs. Creating comes before deleting, so a running service never lacks an ACL it
still needs in between. Used by shared.kafka_provision; `plan` is pure."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)


@dataclass(frozen=True)
class AclPlan:
    """What converging does: bindings to create, then bindings to delete."""

    missing: tuple[AclBinding, ...]
    stale: tuple[AclBinding, ...]


def plan(declared: Iterable[AclBinding], existing: Iterable[AclBinding],
         principals: Collection[str]) -> AclPlan:
    """Declared bindings not on the broker, and the managed `principals`' bindings on the
    broker that are not declared. Bindings compare on every field (resource type, name,
    pattern type, principal, host, operation, permission): a binding that differs in one is
    another binding."""
    wanted = set(declared)
    held = {b for b in existing if b.principal in principals}
    return AclPlan(tuple(sorted(wanted - held, key=describe)),
                   tuple(sorted(held - wanted, key=describe)))


def describe(b: AclBinding) -> str:
    """One line an operator reads, e.g. `ALLOW READ topic:PREFIXED:stockholm. User:stockholm.routing@*`."""
    return (f"{_name(b.permission_type)} {_name(b.operation)} {_name(b.restype).lower()}:"
            f"{_name(b.resource_pattern_type)}:{b.name} {b.principal}@{b.host}")


def _name(value: object) -> str:
    # AclBinding turns its fields into enums when made; its type hints still allow str/int.
    return value.name if isinstance(value, Enum) else str(value)


def held_by(client: AdminClient, principals: Collection[str],
            timeout_s: float) -> list[AclBinding]:
    """Every binding (ALLOW and DENY, any resource) whose principal is one of `principals`."""
    futures = [client.describe_acls(_all_of(p), request_timeout=timeout_s)
               for p in sorted(principals)]
    return [b for f in futures for b in f.result(timeout=timeout_s)]


def _all_of(principal: str) -> AclBindingFilter:
    anything: Any = None  # a filter's None matches any name or host (the stubs ask for str)
    return AclBindingFilter(ResourceType.ANY, anything, ResourcePatternType.ANY, principal,
                            anything, AclOperation.ANY, AclPermissionType.ANY)


def _exactly(b: AclBinding) -> AclBindingFilter:
    # Every field given, a LITERAL or PREFIXED pattern type (not MATCH): the filter matches
    # this one binding and nothing it would merely cover.
    return AclBindingFilter(b.restype, b.name, b.resource_pattern_type, b.principal, b.host,
                            b.operation, b.permission_type)


def converge(client: AdminClient, declared: Iterable[AclBinding], principals: Collection[str],
             timeout_s: float, dry_run: bool = False) -> AclPlan:
    """Create the missing bindings, then delete the stale ones (with `dry_run`, neither);
    returns what was (or would be) done. Raises on any refusal."""
    todo = plan(declared, held_by(client, principals, timeout_s), principals)
    if dry_run:
        return todo
    if todo.missing:
        _wait(client.create_acls(list(todo.missing), request_timeout=timeout_s).values(),
              timeout_s)
    if todo.stale:
        _wait(client.delete_acls([_exactly(b) for b in todo.stale],
                                 request_timeout=timeout_s).values(), timeout_s)
    return todo


def _wait(futures: Iterable[Any], timeout_s: float) -> None:
    for future in futures:
        future.result(timeout=timeout_s)
