"""Authentication and ACLs of the local broker (docs/security.md, "Kafka authentication and
ACLs"): clients log in with SASL/SCRAM-SHA-512 on the client listener; the broker logs in to
its controller with SASL/PLAIN (KRaft's controller listener takes no SCRAM); the
StandardAuthorizer denies what no ACL allows. The admin user is a super user (and the
broker's own login); it exists from the storage format on (`--add-scram`), and creates every
service's user and ACLs (shared.kafka_provision) each time the broker is ready."""

from __future__ import annotations

from devstack.config import StackConfig

MECHANISM = "SCRAM-SHA-512"
# A data dir formatted before authentication existed has no admin user: devstack formats it
# again (its topics are lost; the services' outboxes and inboxes cope). This file marks one
# formatted with the admin.
FORMAT_STAMP = "sasl-scram.formatted"


def _jaas(module: str, username: str, password: str, *extra: str) -> str:
    return " ".join([f"org.apache.kafka.common.security.{module} required",
                     f'username="{username}"', f'password="{password}"', *extra]) + ";"


def server_properties(cfg: StackConfig) -> dict[str, str]:
    admin, password = cfg.KAFKA_ADMIN, cfg.kafka_password(cfg.KAFKA_ADMIN)
    return {
        "listeners": (f"SASL_PLAINTEXT://127.0.0.1:{cfg.kafka_port},"
                      f"CONTROLLER://127.0.0.1:{cfg.kafka_controller_port}"),
        "advertised.listeners": f"SASL_PLAINTEXT://127.0.0.1:{cfg.kafka_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "SASL_PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        f"listener.name.sasl_plaintext.{MECHANISM.lower()}.sasl.jaas.config": _jaas(
            "scram.ScramLoginModule", admin, password),
        # The controller listener: only the broker itself, as the admin, with PLAIN.
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": _jaas(
            "plain.PlainLoginModule", admin, password, f'user_{admin}="{password}"'),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found": "false",
        "super.users": f"User:{admin}",
    }


def format_options(cfg: StackConfig) -> list[str]:
    """`StorageTool format` arguments that create the admin user with the storage."""
    admin, password = cfg.KAFKA_ADMIN, cfg.kafka_password(cfg.KAFKA_ADMIN)
    return ["--add-scram", f"{MECHANISM}=[name={admin},password={password}]"]


def provision_region(cfg: StackConfig) -> int:
    """Every service's SCRAM user and ACLs of `cfg`'s region (idempotent); returns the number
    of ACLs."""
    from shared.kafka_access import SERVICES
    from shared.kafka_provision import provision

    users = {s: cfg.kafka_user(s) for s in SERVICES}
    return provision(cfg.kafka_bootstrap, cfg.kafka_auth(), cfg.region,
                     {s: cfg.kafka_password(u) for s, u in users.items()}, users)


def service_env(cfg: StackConfig, service: str) -> dict[str, str]:
    """The settings a service logs in with (none for the gateway, which has no Kafka client)."""
    from shared.kafka_access import SERVICES

    if service not in SERVICES:
        return {}
    user = cfg.kafka_user(service)
    return {"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": MECHANISM,
            "KAFKA_USERNAME": user, "KAFKA_PASSWORD": cfg.kafka_password(user)}


def with_tls_listener(props: dict[str, str], port: int, keystore: str,
                      password: str) -> dict[str, str]:
    """`props` (server_properties) plus a SASL_SSL listener on `port`: SCRAM over TLS, as
    production runs it, with the broker's key and certificate chain in a PKCS12 `keystore`.
    The local run does not use it; tests/integration/test_kafka_tls.py does."""
    out = dict(props)
    out["listeners"] += f",SASL_SSL://127.0.0.1:{port}"
    out["advertised.listeners"] += f",SASL_SSL://127.0.0.1:{port}"
    out["listener.security.protocol.map"] += ",SASL_SSL:SASL_SSL"
    out[f"listener.name.sasl_ssl.{MECHANISM.lower()}.sasl.jaas.config"] = out[
        f"listener.name.sasl_plaintext.{MECHANISM.lower()}.sasl.jaas.config"]
    return out | {"ssl.keystore.type": "PKCS12", "ssl.keystore.location": keystore,
                  "ssl.keystore.password": password, "ssl.key.password": password,
                  "ssl.client.auth": "none"}  # clients prove who they are with SCRAM
