"""Creates the services' SCRAM users and converges their ACLs to the declaration
(shared.kafka_access) on the broker, as the admin principal: missing ACLs are created, then
those the region's service users hold beyond the declaration are deleted (shared.kafka_acl_sync;
no other principal's are touched). Idempotent: run it at every start (devstack does, after the broker is up;
docker-compose.yml runs it as a one-shot container; Kubernetes as the Job `kafka-provision`
at every deployment, deploy/k8s/base/jobs/kafka-provision.yaml).

aiokafka has no ACL or SCRAM admin API; confluent-kafka's AdminClient (librdkafka) has both.

    python -m shared.kafka_provision      # settings from the environment, see ProvisionSettings
    KAFKA_PROVISION_DRY_RUN=true python -m shared.kafka_provision   # print the ACL changes only
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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
from shared.kafka_acl_sync import AclPlan, converge, describe

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
    """Upsert each service's SCRAM user (`passwords`: service -> password) and converge the
    region's ACLs; returns how many ACLs are declared. Raises on any refusal."""
    names = usernames or principals(region)
    client = admin_client(bootstrap, admin)
    upsert_users(client, admin.sasl_mechanism, names, passwords, timeout_s)
    return len(sync_acls(client, region, names, timeout_s).declared)


def upsert_users(client: AdminClient, sasl_mechanism: str, names: dict[str, str],
                 passwords: dict[str, str], timeout_s: float = 30.0) -> None:
    mechanism = ScramMechanism[sasl_mechanism.replace("-", "_")]
    upserts: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(names[s], ScramCredentialInfo(mechanism, ITERATIONS),
                                     passwords[s].encode())
        for s in SERVICES]
    _wait(client.alter_user_scram_credentials(upserts, request_timeout=timeout_s).values(),
          timeout_s)


@dataclass(frozen=True)
class AclSync:
    """The region's declared bindings, and what converging to them did (or would do)."""

    declared: tuple[AclBinding, ...]
    changes: AclPlan


def sync_acls(client: AdminClient, region: str, names: dict[str, str], timeout_s: float = 30.0,
              dry_run: bool = False) -> AclSync:
    """Converge the ACLs of the region's service users (`names`: service -> user name) to
    `region_acls`; with `dry_run`, only say what would change."""
    declared = tuple(_binding(a) for a in region_acls(region, names))
    managed = {f"User:{names[s]}" for s in SERVICES}
    changes = converge(client, declared, managed, timeout_s, dry_run)
    log.info("kafka acls checked (dry run)" if dry_run else "kafka acls converged",
             extra={"region": region, "acls": len(declared),
                    "acls_created": len(changes.missing), "acls_removed": len(changes.stale)})
    return AclSync(declared, changes)


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
    # Change nothing: print the ACLs that converging would create and remove.
    dry_run: bool = False


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
    client = admin_client(s.bootstrap_servers, admin)
    if not s.dry_run:
        upsert_users(client, s.sasl_mechanism, usernames, passwords)
    done = sync_acls(client, s.region, usernames, dry_run=s.dry_run)
    for verb, bindings in (("create", done.changes.missing), ("remove", done.changes.stale)):
        for b in bindings:  # who may do what: no secret in it
            print(f"kafka: {'would ' if s.dry_run else ''}{verb} {describe(b)}")
    made, gone = len(done.changes.missing), len(done.changes.stale)
    print(f"kafka: {len(SERVICES)} users and {len(done.declared)} acls in region {s.region}, "
          + (f"dry run: {made} to create, {gone} to remove, nothing changed" if s.dry_run
             else f"{made} created, {gone} removed"))


if __name__ == "__main__":
    main()
