"""Ports, directories and credentials of one local stack.

The developer stack (`scripts/start`) and the test stack use different port blocks and data
directories so a running system and a test run never collide."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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
    environment: str = "development"
    # Development-only secrets; production supplies its own through the environment.
    db_password: str = "dev-only-db-password"
    internal_api_key: str = "dev-only-internal-api-key-0123456789"
    kek_seed: str = "dev-only-kek"
    # Databases that also get a runtime role "<db>_app" (the owner role only migrates): the
    # audit service runs as a role that can only insert and read its log.
    runtime_roles: tuple[str, ...] = ("audit",)
    pg_servers: tuple[PgServer, ...] = field(
        default_factory=lambda: (
            PgServer("patient", 5433, ("patient_mailbox",)),
            PgServer("careunit", 5434, ("careunit_mailbox",)),
            PgServer("platform", 5435, ("identity", "forms", "notifier", "audit", "gateway")),
        )
    )

    def port(self, default: int) -> int:
        return default + self.base_port

    @property
    def kafka_port(self) -> int:
        return self.port(9092)

    @property
    def kafka_controller_port(self) -> int:
        return self.port(9093)

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def smtp_port(self) -> int:
        return self.port(1025)

    @property
    def mailsink_http_port(self) -> int:
        return self.port(8025)

    def pg_port(self, server: str) -> int:
        return self.port(next(s.port for s in self.pg_servers if s.name == server))

    def database_url(self, server: str, database: str, role: str | None = None) -> str:
        return (
            f"postgresql+psycopg://{role or database}:{self.db_password}"
            f"@127.0.0.1:{self.pg_port(server)}/{database}"
        )


def dev_config() -> StackConfig:
    return StackConfig(data_dir=REPO_ROOT / ".devstack")


def test_config(data_dir: Path, base_port: int = 20000) -> StackConfig:
    # "scratch" is for integration tests of the shared library (outbox, inbox, keyring).
    servers = tuple(PgServer(s.name, s.port, s.databases + (("scratch",) if s.name == "platform"
                                                            else ())) for s in
                    StackConfig(data_dir=data_dir).pg_servers)
    return StackConfig(data_dir=data_dir, base_port=base_port, environment="test",
                       pg_servers=servers)
