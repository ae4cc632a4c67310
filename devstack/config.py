"""Ports, directories and credentials of one local stack.

The developer stack (`scripts/start`) and the test stack use different port blocks and data
directories so a running system and a test run never collide."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO_ROOT / ".cache"  # downloaded jars etc., outside git


@dataclass(frozen=True)
class PgServer:
    """One PostgreSQL server process (its own data directory and port)."""

    name: str  # "patient", "careunit", "platform"
    port: int
    databases: tuple[str, ...]


@dataclass(frozen=True)
class StackConfig:
    data_dir: Path
    base_port: int = 0  # offset added to every default port
    region: str = "stockholm"
    # 0: the first region, which runs Kafka and the mail sink. n > 0: another region beside it
    # (docs/regions.md): its own PostgreSQL servers, data and services on ports 100·n above the
    # first's, the first region's broker (regions share one) and mail sink (one inbox to read).
    region_index: int = 0
    environment: str = "development"
    # Development-only secrets; production supplies its own through the environment.
    db_password: str = "dev-only-db-password"
    kek_seed: str = "dev-only-kek"
    # Databases that also get a runtime role "<db>_app" (the owner role only migrates): the
    # audit service runs as a role that can only insert and read its log.
    runtime_roles: tuple[str, ...] = ("audit",)
    # Extra postgresql.conf lines for every server, e.g. a benchmark's
    # "shared_preload_libraries = 'pg_stat_statements'" (bench/statements.py).
    pg_settings: tuple[str, ...] = ()
    # A stack that runs for long (scripts/start, the benchmarks): its broker's JVM compiles
    # hot code fully, as in production. The tests' short-lived stacks leave that out, since
    # the JVM then starts faster (devstack/kafka.py).
    long_running: bool = False
    pg_servers: tuple[PgServer, ...] = field(
        default_factory=lambda: (
            PgServer("patient", 5433, ("patient_mailbox",)),
            PgServer("careunit", 5434, ("careunit_mailbox",)),
            PgServer("platform", 5435, ("identity", "forms", "notifier", "audit", "gateway")),
        )
    )

    def internal_credential(self, caller: str) -> str:
        """A development credential of one internal caller ("notifier", "patient-mailbox",
        "operator": tests and operator tools), derived from the seed like the KEKs."""
        return hashlib.sha256(f"{self.kek_seed}:internal:{caller}".encode()).hexdigest()

    # -- Kafka: SASL/SCRAM users, one per service and region, and the admin -----------------
    KAFKA_ADMIN = "admin"  # super user: provisions users and ACLs; the broker's own login

    def kafka_user(self, service: str) -> str:
        """A service's principal in this region (shared.kafka_access.principals)."""
        return f"{self.region}.{service}"

    def kafka_password(self, username: str) -> str:
        """A development password, derived from the seed like the KEKs (production refuses
        it: shared.settings)."""
        from shared.kafka_access import development_password

        return development_password(username, self.kek_seed)

    def kafka_auth(self, username: str | None = None):
        """The SASL login (shared.kafka.KafkaAuth) of a user, by default the admin: what tests
        and tools use for their own clients."""
        from shared.kafka import KafkaAuth

        name = username or self.KAFKA_ADMIN
        return KafkaAuth("SASL_PLAINTEXT", "SCRAM-SHA-512", name, self.kafka_password(name))

    def port(self, default: int) -> int:
        return default + self.base_port + 100 * self.region_index

    def shared_port(self, default: int) -> int:
        """A port of what all regions share (the first region's): Kafka, the mail sink."""
        return default + self.base_port

    @property
    def runs_shared_infra(self) -> bool:
        return self.region_index == 0

    @property
    def kafka_port(self) -> int:
        return self.shared_port(9092)

    @property
    def kafka_controller_port(self) -> int:
        return self.shared_port(9093)

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def smtp_port(self) -> int:
        return self.shared_port(1025)

    @property
    def mailsink_http_port(self) -> int:
        return self.shared_port(8025)

    def pg_port(self, server: str) -> int:
        return self.port(next(s.port for s in self.pg_servers if s.name == server))

    @property
    def pg_socket_dir(self) -> Path:
        """Where the stack's PostgreSQL servers put their Unix sockets (one per port)."""
        return self.data_dir / "pg" / "run"

    def database_url(self, server: str, database: str, role: str | None = None) -> str:
        """Over the server's Unix socket, with the role's password (pg_hba asks for it there
        too): on one machine a round trip costs the client about two thirds and the server
        about 60 % of its CPU over loopback TCP (bench/pgsocket.py), and the services make
        some 120 a workflow. The servers still listen on 127.0.0.1 for other tools."""
        return (
            f"postgresql+psycopg://{role or database}:{self.db_password}@/{database}"
            f"?host={quote(str(self.pg_socket_dir), safe='')}&port={self.pg_port(server)}"
        )


def dev_config() -> StackConfig:
    return StackConfig(data_dir=REPO_ROOT / ".devstack", long_running=True)


def test_config(data_dir: Path, base_port: int = 20000) -> StackConfig:
    # "scratch" is for integration tests of the shared library (outbox, inbox, keyring).
    servers = tuple(PgServer(s.name, s.port, s.databases + (("scratch",) if s.name == "platform"
                                                            else ())) for s in
                    StackConfig(data_dir=data_dir).pg_servers)
    return StackConfig(data_dir=data_dir, base_port=base_port, environment="test",
                       pg_servers=servers)


# The second local region: Västra Götalandsregionen, with its own seed (services/identity/seed).
SECOND_REGION = "vastra-gotaland"


def other_region(first: StackConfig, region: str = SECOND_REGION, index: int = 1) -> StackConfig:
    """Another region beside `first`, on `first`'s broker and mail sink (see region_index)."""
    return replace(first, region=region, region_index=index,
                   data_dir=first.data_dir / "regions" / region)
