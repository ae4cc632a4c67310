"""The broker's ACLs (shared.kafka_access) follow the services' own wiring: each service's
consumers, as its composition root declares them to the event runtime, read exactly the
topics its ACLs let it read, in groups of the same names; and each writes only its own topic
and its consumers' dead-letter topics."""

from __future__ import annotations

import importlib

import pytest

from devstack import config as devstack_config
from devstack.services import service_specs
from services.audit.settings import AuditSettings
from services.forms.settings import FormsSettings
from services.identity.settings import IdentitySettings
from services.messaging.careunit.settings import CareUnitMailboxSettings
from services.messaging.patient.settings import PatientMailboxSettings
from services.notifier.settings import NotifierSettings
from services.routing.agents import register_agents
from services.routing.bootstrap import hand_back_consumer
from services.routing.handlers import HANDBACK_CONSUMER
from services.routing.settings import RoutingSettings
from shared.events import topics as t
from shared.kafka import NO_AUTH
from shared.kafka_access import SERVICES, acls, development_password, is_development_password
from shared.runtime import EventRuntime
from shared.settings import ServiceSettings

APPS = {"identity": "services.identity.bootstrap", "forms": "services.forms.bootstrap",
        "patient-mailbox": "services.messaging.patient.bootstrap",
        "careunit-mailbox": "services.messaging.careunit.bootstrap",
        "notifier": "services.notifier.bootstrap", "audit": "services.audit.bootstrap"}

SETTINGS = {"identity": IdentitySettings, "forms": FormsSettings,
            "patient-mailbox": PatientMailboxSettings,
            "careunit-mailbox": CareUnitMailboxSettings, "notifier": NotifierSettings,
            "audit": AuditSettings}


class Wired(Exception):
    """Raised instead of starting: the consumers are declared by then."""


async def wiring(service: str, monkeypatch, tmp_path) -> dict[str, tuple[str, ...]]:
    declared: dict[str, tuple[str, ...]] = {}
    original = EventRuntime.consume

    def consume(self, name, topic_names, handlers, ignore=(), **options):
        declared[name] = tuple(topic_names)
        return original(self, name, topic_names, handlers, ignore, **options)

    async def start(self):
        raise Wired

    monkeypatch.setattr(EventRuntime, "consume", consume)
    monkeypatch.setattr(EventRuntime, "start", start)
    # The local run's settings (valid development keys), in the test environment.
    spec = next(s for s in service_specs(devstack_config.test_config(tmp_path)) if s.name == service)
    for key, value in spec.env.items():
        monkeypatch.setenv(key, value)
    module = importlib.import_module(APPS[service])
    build = getattr(module, "create_app", None) or module.build_app
    app = build(SETTINGS[service]())
    with pytest.raises(Wired):
        async with app.router.lifespan_context(app):
            pass
    return declared


@pytest.mark.parametrize("service", sorted(APPS))
async def test_acls_follow_what_each_service_consumes(service: str, monkeypatch,
                                                     tmp_path) -> None:
    declared = await wiring(service, monkeypatch, tmp_path)
    assert {k: set(v) for k, v in declared.items()} == {
        k: set(v) for k, v in SERVICES[service].consumers.items()}


def test_routing_reads_what_its_agents_subscribe_to() -> None:
    subscribed: set[str] = set()

    class App:
        def topic(self, name, **_):
            subscribed.add(name)
            return name

        def agent(self, *_, **__):
            return lambda fn: fn

        def timer(self, *_, **__):
            return lambda fn: fn

    register_agents(App(), None, None, "r")  # type: ignore[arg-type]
    regional = {x.removeprefix("r.") for x in subscribed if x.startswith("r.")}
    assert regional == set(SERVICES["routing"].consumers["routing"])


async def test_routing_hand_back_reads_the_care_unit_topic_in_its_own_group() -> None:
    consumer = hand_back_consumer(RoutingSettings(environment="test", region="r"), NO_AUTH)
    assert consumer._group_id == t.group_id("r", HANDBACK_CONSUMER)
    assert {x.removeprefix("r.") for x in consumer.subscription()} == set(
        SERVICES["routing"].consumers[HANDBACK_CONSUMER])


def granted(service: str, operation: str, kind: str = "topic") -> set[str]:
    return {a.name for a in acls(service, "r", f"r.{service}")
            if a.operation == operation and a.resource == kind and a.pattern == "literal"}


def test_each_service_writes_only_its_own_topic_and_dead_letters() -> None:
    for service, access in SERVICES.items():
        own = {f"r.{service}.events"} | {f"r.dlq.{c}" for c in access.consumers}
        extra = {t.INTERREGION_UNITS} if service == "routing" else set()
        assert granted(service, "write") == own | extra, service
        assert granted(service, "read", "group") == {f"r.{c}" for c in access.consumers}


def test_no_one_but_the_owner_writes_a_mailbox_topic() -> None:
    for topic in (t.PATIENT_MAILBOX, t.CAREUNIT_MAILBOX):
        writers = {s for s in SERVICES if f"r.{topic}" in granted(s, "write")}
        assert writers == {topic.removesuffix(".events")}


def test_production_refuses_development_kafka_passwords() -> None:
    prod = {"environment": "production", "kafka_username": "stockholm.forms"}
    with pytest.raises(ValueError, match="development password"):
        ServiceSettings(**prod, kafka_password=development_password("stockholm.forms"))
    with pytest.raises(ValueError, match="development password"):
        ServiceSettings(**prod, kafka_password="dev-only-kafka-forms")
    with pytest.raises(ValueError, match="PLAINTEXT"):
        ServiceSettings(**prod, kafka_password="x" * 40, kafka_security_protocol="PLAINTEXT")
    assert ServiceSettings(**prod, kafka_password="a-real-secret-" * 3).kafka_username
    assert not is_development_password("stockholm.forms", "a-real-secret")


def test_no_service_reads_a_whole_prefix_but_its_own_internal_topics() -> None:
    # Reads are literal (the topics a consumer subscribes to); the one prefixed read is
    # routing's faust app's own topics (`<region>.routing-`: changelogs, leader topic).
    prefixed = {(s, a.name) for s in SERVICES for a in acls(s, "r", f"r.{s}")
                if a.operation == "read" and a.pattern == "prefixed"}
    assert prefixed == {("routing", "r.routing-")}


def test_routing_reads_exactly_its_consumers_topics() -> None:
    assert granted("routing", "read") == {
        f"r.{x}" for topics in SERVICES["routing"].consumers.values() for x in topics} | {
        t.INTERREGION_UNITS, t.interregion_inbound("r")}
