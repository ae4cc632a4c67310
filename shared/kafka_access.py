"""Who may do what on the broker: the one declaration of which topics each service writes and
reads, and the Kafka ACLs derived from it (docs/security.md, "Kafka authentication and ACLs").

Each service has its own principal (SASL/SCRAM user). A service may write only the topic it
owns (`<service>.events`, the contracts it publishes there: shared.events.topic_contracts)
and the dead-letter topics of its own consumers; it may read only the topics its consumers
subscribe to, in consumer groups of its own name. A unit test holds this declaration
against the services' wiring (the topics each `runtime.consume(...)` subscribes to), so the
two cannot drift apart. Everything is per region: broker names carry the region's prefix
(shared.events.topics.on_broker), so several regions share a broker without one region's
services touching another's topics.

`python -m shared.kafka_provision` applies the ACLs; nothing here connects."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from shared.events import topics as t


@dataclass(frozen=True)
class Access:
    """A service's use of the broker, in logical topic names (without region)."""

    writes: tuple[str, ...]
    # Consumer (its group id and its dead-letter topic's name) -> the topics it reads.
    consumers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Topics read without a consumer group (operator tools: `audit verify --from-topic`).
    reads: tuple[str, ...] = ()


# The audit log records every other topic; it re-reads its own checkpoints to verify them.
_AUDITED = tuple(x for x in t.ALL if x != t.AUDIT)
# Routing's faust agents; the care-unit topic has a consumer of its own, outside faust
# (services.routing.handback), whose group and dead-letter topic are `routing-handback`.
_ROUTED = (t.IDENTITY, t.FORMS, t.PATIENT_MAILBOX)

SERVICES: dict[str, Access] = {
    "identity": Access((t.IDENTITY,), {"identity-listing": (t.CAREUNIT_MAILBOX,)}),
    "forms": Access((t.FORMS,), {"forms": (t.IDENTITY,)}),
    "patient-mailbox": Access((t.PATIENT_MAILBOX,), {
        "patient-mailbox": (t.IDENTITY, t.FORMS, t.ROUTING, t.CAREUNIT_MAILBOX)}),
    "careunit-mailbox": Access((t.CAREUNIT_MAILBOX,), {
        "careunit-mailbox": (t.IDENTITY, t.ROUTING, t.PATIENT_MAILBOX)}),
    "routing": Access((t.ROUTING,), {"routing": _ROUTED,
                                     "routing-handback": (t.CAREUNIT_MAILBOX,)}),
    "notifier": Access((t.NOTIFIER,), {
        "notifier": (t.CAREUNIT_MAILBOX, t.PATIENT_MAILBOX, t.IDENTITY)}),
    "audit": Access((t.AUDIT,), {"audit": _AUDITED, "audit-staff-access": (t.IDENTITY,)},
                    reads=(t.AUDIT,)),
}
# The gateway has no Kafka client: it has no principal.

ROUTING = "routing"


@dataclass(frozen=True, order=True)
class Acl:
    """One ALLOW entry: resource type ("topic", "group", "cluster"), name, pattern
    ("literal" or "prefixed"), principal ("User:<name>") and operation ("read", ...)."""

    resource: str
    name: str
    pattern: str
    principal: str
    operation: str


def _literal(kind: str, names: list[str], principal: str, *ops: str) -> list[Acl]:
    return [Acl(kind, n, "literal", principal, op) for n in names for op in ops]


def acls(service: str, region: str, username: str) -> list[Acl]:
    """The ACLs of one service's principal in one region."""
    access, who = SERVICES[service], f"User:{username}"
    b = lambda names: [t.on_broker(region, n) for n in names]
    dead_letters = [t.dead_letter(c) for c in access.consumers]
    read = sorted({x for ts in access.consumers.values() for x in ts} | set(access.reads))
    out = (_literal("topic", b(list(access.writes) + dead_letters), who, "write")
           + _literal("topic", b(read), who, "read")
           + _literal("group", [t.group_id(region, c) for c in access.consumers], who, "read")
           # Every service makes the region's topics it needs when they are missing
           # (shared.kafka.ensure_event_topics) and lists them: create and describe, not write.
           + [Acl("topic", f"{region}.", "prefixed", who, op) for op in ("create", "describe")])
    if service == ROUTING:
        out += _routing_extra(region, who)
    return sorted(out)


def _routing_extra(region: str, who: str) -> list[Acl]:
    # faust's own topics (table changelogs `<app id>-<table>-changelog`, its assignor's
    # `<app id>-__assignor-__leader`) are named after its app id, which is its group id
    # (services.routing.bootstrap.app_id). Of the region's other topics routing reads only
    # those its agents and its hand-back consume (SERVICES["routing"]); the broker's
    # authorizer log showed no other read through the e2e workflow, the two-region
    # hand-over and the fault suite.
    faust = f"{t.group_id(region, ROUTING)}-"
    return ([Acl("topic", faust, "prefixed", who, op)
             for op in ("read", "write", "create", "describe", "describe_configs")]
            # The shared directory of every region's units: read and announce its own.
            + _literal("topic", [t.INTERREGION_UNITS], who, "read", "write")
            + _literal("topic", [t.interregion_inbound(region)], who, "read")
            # Hand-overs to other regions' inbound topics, which it may also create.
            + [Acl("topic", "interregion.", "prefixed", who, op)
               for op in ("write", "create", "describe")])


def principals(region: str) -> dict[str, str]:
    """Service -> the SCRAM user name of its principal in `region` (`<region>.<service>`)."""
    return {s: f"{region}.{s}" for s in SERVICES}


def region_acls(region: str, usernames: dict[str, str] | None = None) -> list[Acl]:
    names = usernames or principals(region)
    return [a for s in SERVICES for a in acls(s, region, names[s])]


DEV_SEED = "dev-only-kek"  # devstack's StackConfig.kek_seed


def development_password(username: str, seed: str = DEV_SEED) -> str:
    """The local run's password of a Kafka user, derived from the stack's seed like its other
    development secrets; production refuses it (shared.settings)."""
    return hashlib.sha256(f"{seed}:kafka:{username}".encode()).hexdigest()


def is_development_password(username: str, password: str) -> bool:
    return password.startswith("dev-only") or password == development_password(username)
