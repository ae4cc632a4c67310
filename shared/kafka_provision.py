"""Creates the services' SCRAM users and their ACLs (shared.kafka_access) on the broker, as the
admin principal. Idempotent: run it at every start (devstack does, after the broker is up;
docker-compose.yml runs it as a one-shot container; Kubernetes as the Job `kafka-provision`
at every deployment, deploy/k8s/base/jobs/kafka-provision.yaml).

aiokafka has no ACL or SCRAM admin API; confluent-kafka's AdminClient (librdkafka) has both.

    python -m shared.kafka_provision      # settings from the environment, see ProvisionSettings
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping

from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialUpsertion,
)
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.events.topics import REGION_PATTERN
from shared.kafka import KafkaAuth
from shared.kafka_access import SERVICES, Acl, principals, region_acls

log = logging.getLogger(__name__)

ITERATIONS = 4096  # Kafka's default for SCRAM credentials
_RESOURCE = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP}
_PATTERN = {"literal": ResourcePatternType.LITERAL, "prefixed": ResourcePatternType.PREFIXED}


def _binding(acl: Acl) -> AclBinding:
    return AclBinding(_RESOURCE[acl.resource], acl.name, _PATTERN[acl.pattern], acl.principal,
                      "*", AclOperation[acl.operation.upper()], AclPermissionType.ALLOW)


def admin_client(bootstrap: str, admin: KafkaAuth) -> AdminClient:
    conf: dict[str, str | int | float | bool] = {
        "bootstrap.servers": bootstrap, "security.protocol": admin.security_protocol}
    if admin.ssl_cafile:  # otherwise librdkafka's default: the system's CAs
        conf["ssl.ca.location"] = admin.ssl_cafile
    if admin.username:
        conf |= {"sasl.mechanism": admin.sasl_mechanism, "sasl.username": admin.username,
                 "sasl.password": admin.password}
    return AdminClient(conf)


def provision(bootstrap: str, admin: KafkaAuth, region: str, passwords: dict[str, str],
              usernames: dict[str, str] | None = None, timeout_s: float = 30.0) -> int:
    """Upsert each service's SCRAM user (`passwords`: service -> password) and create the
    region's ACLs; returns how many ACLs were requested. Raises on any refusal."""
    names = usernames or principals(region)
    client = admin_client(bootstrap, admin)
    mechanism = ScramMechanism[admin.sasl_mechanism.replace("-", "_")]
    upserts: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(names[s], ScramCredentialInfo(mechanism, ITERATIONS),
                                     passwords[s].encode())
        for s in SERVICES]
    _wait(client.alter_user_scram_credentials(upserts, request_timeout=timeout_s).values(),
          timeout_s)
    bindings = [_binding(a) for a in region_acls(region, names)]
    _wait(client.create_acls(bindings, request_timeout=timeout_s).values(), timeout_s)
    log.info("kafka users and acls provisioned", extra={"region": region,
                                                        "acls": len(bindings)})
    return len(bindings)


def _wait(futures: Iterable, timeout_s: float) -> None:
    for future in futures:
        future.result(timeout=timeout_s)


class ProvisionSettings(BaseSettings):
    """KAFKA_PROVISION_*: the broker, the admin's credentials and each service's login.

    A service's login comes either from KAFKA_PROVISION_<SERVICE>_PASSWORD (and optionally
    _USERNAME; `<SERVICE>` as in the Secret `kafka-credentials`, e.g. PATIENT_MAILBOX), which
    is what Kubernetes gives the Job from that Secret, or from
    KAFKA_PROVISION_PASSWORDS='{"forms": "...", ...}' (compose); user names default to
    `<region>.<service>`."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_PROVISION_", extra="ignore")

    region: str = Field(default="stockholm", pattern=f"^{REGION_PATTERN}$")
    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: str = "SASL_PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"
    admin_username: str = "admin"
    admin_password: SecretStr
    ssl_cafile: str = ""  # SASL_SSL: the brokers' CA (PEM file); empty: the system's CAs
    passwords: dict[str, SecretStr] = {}


def env_name(service: str, what: str) -> str:
    """KAFKA_PROVISION_<SERVICE>_<WHAT>, e.g. KAFKA_PROVISION_PATIENT_MAILBOX_PASSWORD."""
    return f"KAFKA_PROVISION_{service.upper().replace('-', '_')}_{what}"


def logins(s: ProvisionSettings, environ: Mapping[str, str]) -> tuple[dict[str, str],
                                                                       dict[str, str]]:
    """(service -> user name, service -> password) of every service; raises naming the
    variables (never a value) when a service has no password."""
    passwords = {k: v.get_secret_value() for k, v in s.passwords.items()}
    passwords |= {x: environ[env_name(x, "PASSWORD")] for x in SERVICES
                  if environ.get(env_name(x, "PASSWORD"))}
    missing = [env_name(x, "PASSWORD") for x in SERVICES if x not in passwords]
    if missing:
        raise ValueError(f"no Kafka password for: {', '.join(missing)}")
    usernames = principals(s.region) | {x: environ[env_name(x, "USERNAME")] for x in SERVICES
                                        if environ.get(env_name(x, "USERNAME"))}
    return usernames, {x: passwords[x] for x in SERVICES}


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    s = ProvisionSettings()  # type: ignore[call-arg]  # from the environment
    usernames, passwords = logins(s, os.environ)
    admin = KafkaAuth(s.security_protocol, s.sasl_mechanism, s.admin_username,
                      s.admin_password.get_secret_value(), s.ssl_cafile)
    count = provision(s.bootstrap_servers, admin, s.region, passwords, usernames)
    print(f"kafka: {len(SERVICES)} users and {count} acls in region {s.region}")


if __name__ == "__main__":
    main()
