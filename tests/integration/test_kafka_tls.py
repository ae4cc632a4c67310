"""SASL_SSL, what production runs (SCRAM logins over TLS; deploy/k8s sets
KAFKA_SECURITY_PROTOCOL=SASL_SSL): one broker of this module's own with a SASL_SSL listener
whose certificate a CA made here signed. The services' client options
(shared.kafka.KafkaAuth.from_settings -> make_producer / make_consumer / ensure_event_topics)
and the provisioning's admin client (librdkafka) work over it with that CA, and neither
trusts the broker without it."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka.errors import KafkaConnectionError
from confluent_kafka import KafkaException
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from devstack import kafka_auth
from devstack.config import StackConfig
from devstack.kafka import KafkaBroker
from shared.events.topics import IDENTITY, group_id, on_broker
from shared.kafka import KafkaAuth, TopicPolicy, ensure_event_topics, make_consumer, make_producer
from shared.kafka_access import SERVICES
from shared.kafka_provision import provision
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

KEYSTORE_PASSWORD = "test-only-keystore"


def _cert(subject: str, key, issuer: x509.Name | None, signer, ca: bool) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:  # the broker's name as clients check it: the address they connect to
        builder = builder.add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
    return builder.sign(signer, hashes.SHA256())


def make_pki(directory: Path) -> tuple[Path, Path]:
    """A CA (its certificate as PEM) and the broker's PKCS12 keystore signed by it."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _cert("mina-vardkontakter test CA", ca_key, None, ca_key, ca=True)
    broker = _cert("127.0.0.1", key, ca.subject, ca_key, ca=False)
    ca_file, keystore = directory / "ca.pem", directory / "broker.p12"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    keystore.write_bytes(pkcs12.serialize_key_and_certificates(
        b"broker", key, broker, [ca],
        serialization.BestAvailableEncryption(KEYSTORE_PASSWORD.encode())))
    return ca_file, keystore


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@dataclass(frozen=True)
class TlsStack(StackConfig):
    """A stack config whose broker ports are free ones (not the session's port block)."""

    ports: tuple[int, int, int] = (0, 0, 0)  # SASL_PLAINTEXT, controller, SASL_SSL
    keystore: str = ""

    @property
    def kafka_port(self) -> int:
        return self.ports[0]

    @property
    def kafka_controller_port(self) -> int:
        return self.ports[1]

    @property
    def tls_bootstrap(self) -> str:
        return f"127.0.0.1:{self.ports[2]}"


class TlsBroker(KafkaBroker):
    def server_properties(self) -> str:
        cfg = self.cfg
        assert isinstance(cfg, TlsStack)
        lines = super().server_properties().splitlines()
        props = dict(line.split("=", 1) for line in lines if "=" in line
                     and not line.startswith("#"))
        props = kafka_auth.with_tls_listener(props, cfg.ports[2], cfg.keystore,
                                             KEYSTORE_PASSWORD)
        return "\n".join(f"{k}={v}" for k, v in props.items()) + "\n"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    home = tmp_path_factory.mktemp("kafka-tls")
    ca_file, keystore = make_pki(home)
    cfg = TlsStack(data_dir=home, environment="test", ports=tuple(_free_ports(3)),  # type: ignore[arg-type]
                   keystore=str(keystore))
    broker = TlsBroker(cfg)
    try:
        broker.start()  # ready over SASL_PLAINTEXT; the region's users and ACLs provisioned
        yield cfg, str(ca_file)
    finally:
        broker.stop()


def service_auth(cfg: TlsStack, service: str, cafile: str) -> KafkaAuth:
    """A service's Kafka login exactly as its settings make it."""
    user = cfg.kafka_user(service)
    settings = ServiceSettings(
        environment="test", region=cfg.region, kafka_bootstrap_servers=cfg.tls_bootstrap,
        kafka_security_protocol="SASL_SSL", kafka_username=user,
        kafka_password=cfg.kafka_password(user), kafka_ssl_cafile=cafile)
    return KafkaAuth.from_settings(settings)


async def test_services_produce_and_consume_over_sasl_ssl_with_the_ca(tls) -> None:
    cfg, ca = tls
    identity, forms = service_auth(cfg, "identity", ca), service_auth(cfg, "forms", ca)
    topic = on_broker(cfg.region, IDENTITY)
    await ensure_event_topics(cfg.tls_bootstrap, [IDENTITY], TopicPolicy(), cfg.region, identity)
    producer = make_producer(cfg.tls_bootstrap, "tls-test", identity)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"over-tls", key=b"k")
    finally:
        await producer.stop()
    consumer = make_consumer(cfg.tls_bootstrap, group_id(cfg.region, "forms"), [topic], forms)
    await consumer.start()
    try:
        got: list[bytes] = []
        for _ in range(60):  # joining the group first: seconds on a loaded machine
            batches = await consumer.getmany(timeout_ms=1000)
            got += [r.value for records in batches.values() for r in records]
            if got:
                break
        assert got == [b"over-tls"]
    finally:
        await consumer.stop()


async def test_without_the_ca_the_broker_is_not_trusted(tls) -> None:
    cfg, _ = tls
    producer = make_producer(cfg.tls_bootstrap, "tls-test", service_auth(cfg, "identity", ""))
    with pytest.raises(KafkaConnectionError):  # the system's CAs did not sign the broker
        await producer.start()
    await producer.stop()


def test_provisioning_runs_over_sasl_ssl_with_the_ca_only(tls) -> None:
    cfg, ca = tls
    admin = cfg.kafka_auth()
    over_tls = KafkaAuth("SASL_SSL", admin.sasl_mechanism, admin.username, admin.password, ca)
    passwords = {s: f"tls-region-{s}-password" for s in SERVICES}
    assert provision(cfg.tls_bootstrap, over_tls, "tlsregion", passwords) > 0
    without_ca = KafkaAuth("SASL_SSL", admin.sasl_mechanism, admin.username, admin.password)
    # librdkafka fails each handshake (certificate verify failed) until the request times out.
    with pytest.raises((concurrent.futures.TimeoutError, KafkaException)):
        provision(cfg.tls_bootstrap, without_ca, "tlsregion", passwords, timeout_s=5)
