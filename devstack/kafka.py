"""A single-node Apache Kafka broker (KRaft, combined broker + controller) for the local stack.

The jars come from Maven Central: `devstack/kafka/pom.xml` pins `org.apache.kafka:kafka_2.13`
plus a log4j2 binding, and Maven copies the runtime classpath into `.cache/kafka/lib`
(outside git; resolved once, again only when the pom changes). The broker runs as
`java -cp '.cache/kafka/lib/*' kafka.Kafka server.properties` with its data, config and log
under `<data_dir>/kafka`."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

from devstack import kafka_auth
from devstack.config import StackConfig
from devstack.kafka_jars import KAFKA_VERSION, LIB_DIR, ensure_jars, jars_ready, main
from devstack.process import ManagedProcess
from devstack.procs import StackError, port_in_use, run_blocking

# The jar helpers stay importable from here (scripts/bootstrap, `python -m devstack.kafka`).
__all__ = ["KAFKA_VERSION", "LIB_DIR", "KafkaBroker", "ensure_jars", "jars_ready", "main",
           "metadata_ok"]

# The broker's JVM options. A long-running stack's broker keeps the JVM's full tiered JIT,
# as the production image does: once compiled (about two minutes under load) the broker
# does the same work for two thirds of C1's CPU (python -m bench.brokerjit, perf11 in
# docs/capacity.md). A test stack stops at C1, which starts the broker sooner (2.1 s vs
# 2.5-3.2 s here) and spares short runs the compiler's work; tests restart brokers often.
# DEVSTACK_KAFKA_JAVA_OPTS (space-separated) replaces all of them, e.g. "-Xmx1g".
JAVA_OPTS = [
    "-Xms128m",
    "-Xmx512m",  # the machine has 2 cores and runs everything else too
    "-XX:+UseSerialGC",  # a dev broker: least GC threads and footprint
    "-Djava.awt.headless=true",
]
QUICK_START_OPTS = ["-XX:TieredStopAtLevel=1"]  # C1 only


def java_opts(cfg: StackConfig) -> list[str]:
    override = os.environ.get("DEVSTACK_KAFKA_JAVA_OPTS", "").split()
    return override or JAVA_OPTS + ([] if cfg.long_running else QUICK_START_OPTS)


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").is_file():
        return str(Path(home, "bin", "java"))
    java = shutil.which("java")
    if java is None:
        raise StackError(
            "java not found: run scripts/bootstrap (apt-get install openjdk-17-jre-headless)"
        )
    return java


def _new_cluster_id() -> str:
    # Same form as Kafka's Uuid.randomUuid().toString(): 22 chars of url-safe base64.
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


# Filled in with {log} (the broker log path) when the broker is prepared.
LOG4J2_XML = (Path(__file__).parent / "kafka" / "log4j2.xml.in").read_text()


class KafkaBroker:
    """Prepares (config, storage format) and runs the broker of one stack."""

    name = "kafka"

    def __init__(self, cfg: StackConfig) -> None:
        self.cfg = cfg
        self.home = cfg.data_dir / "kafka"
        self.log_dir = self.home / "data"
        self.properties = self.home / "server.properties"
        self.log4j2 = self.home / "log4j2.xml"
        self.server_log = cfg.data_dir / "logs" / "kafka-server.log"
        self.process = ManagedProcess(
            self.name,
            [],  # filled in by prepare()
            cfg.data_dir / "logs" / "kafka.log",  # JVM stdout/stderr (crashes, GC warnings)
            cwd=self.home,
            stop_timeout=30.0,
        )

    def server_properties(self) -> str:
        c = self.cfg
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            # A static voter set: `StorageTool format -t <id> -c ...` works without
            # --standalone and the node is its own quorum on every start.
            "controller.quorum.voters": f"1@127.0.0.1:{c.kafka_controller_port}",
            # SASL/SCRAM for clients, the authorizer, the admin (devstack/kafka_auth.py).
            **kafka_auth.server_properties(c),
            "log.dirs": str(self.log_dir),
            "num.partitions": "3",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "auto.create.topics.enable": "true",
            "offsets.topic.replication.factor": "1",
            # 50 partitions by default: the first consumer group would wait for all 50 to be
            # created and loaded; 10 is plenty for one machine and makes that quick.
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "10",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # After a crash (SIGKILL) the restarted node's controller still holds the old
            # broker registration until its session expires (9 s by default, during which
            # registration fails with DUPLICATE_BROKER_REGISTRATION): keep that short so
            # fault tests restart the broker quickly, with room for pauses on a busy machine.
            "broker.heartbeat.interval.ms": "1000",
            "broker.session.timeout.ms": "4000",
            "num.network.threads": "2",
            "num.io.threads": "4",
            "num.recovery.threads.per.data.dir": "1",
            "log.retention.hours": "168",
            "log.segment.bytes": str(64 * 1024 * 1024),
        }
        lines = [f"# Written by devstack/kafka.py for {c.data_dir}; regenerated on every start."]
        lines += [f"{k}={v}" for k, v in props.items()]
        return "\n".join(lines) + "\n"

    def prepare(self) -> None:
        lib = ensure_jars()
        self.home.mkdir(parents=True, exist_ok=True)
        self.server_log.parent.mkdir(parents=True, exist_ok=True)
        self.properties.write_text(self.server_properties())
        self.log4j2.write_text(LOG4J2_XML.format(log=self.server_log))
        java = _java()
        classpath = str(lib / "*")  # expanded by java itself, not by a shell
        log_opt = f"-Dlog4j2.configurationFile={self.log4j2}"
        stamp = self.log_dir / kafka_auth.FORMAT_STAMP
        if (self.log_dir / "meta.properties").is_file() and not stamp.is_file():
            shutil.rmtree(self.log_dir)  # formatted without the admin user: format again
        if not (self.log_dir / "meta.properties").is_file():
            self.log_dir.mkdir(parents=True, exist_ok=True)
            cluster_id_file = self.home / "cluster.id"
            if not cluster_id_file.is_file():
                cluster_id_file.write_text(_new_cluster_id() + "\n")
            cluster_id = cluster_id_file.read_text().strip()
            proc = subprocess.run(
                [
                    java,
                    "-Xmx256m",
                    "-XX:TieredStopAtLevel=1",
                    log_opt,
                    "-cp",
                    classpath,
                    "kafka.tools.StorageTool",
                    "format",
                    "--ignore-formatted",
                    # One argument: an id may start with "-", which argparse takes for an option.
                    f"--cluster-id={cluster_id}",
                    "-c",
                    str(self.properties),
                    *kafka_auth.format_options(self.cfg),
                ],
                check=False,
                capture_output=True,
                text=True,
                cwd=self.home,
            )
            if proc.returncode != 0:
                raise StackError(
                    f"kafka: formatting storage in {self.log_dir} failed "
                    f"(exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
                )
            stamp.write_text("formatted with the admin's SCRAM credential\n")
        self.process.argv = [
            java,
            *java_opts(self.cfg),
            log_opt,
            # Kafka's own scripts pass these too; quiet JVM, IPv4 loopback only.
            "-Djava.net.preferIPv4Stack=true",
            "-cp",
            classpath,
            "kafka.Kafka",
            str(self.properties),
        ]

    def launch(self) -> None:
        """Write the config, format storage on first use and start the JVM (no waiting)."""
        if self.process.running():
            return
        for port in (self.cfg.kafka_port, self.cfg.kafka_controller_port):
            if port_in_use(port):
                raise StackError(
                    f"kafka: port {port} is already in use (another stack or broker running?)"
                )
        self.prepare()
        self.process.start()

    def wait_ready(self, timeout: float = 90.0) -> float:
        """Wait until the broker answers a metadata request, then create this region's users
        and ACLs (idempotent); returns seconds since launch."""
        took = self.process.wait_until(self.ready, timeout, "accepting Kafka clients",
                                       interval=0.1)
        kafka_auth.provision_region(self.cfg)
        return took

    def start(self, timeout: float = 90.0) -> float:
        self.launch()
        return self.wait_ready(timeout)

    def ready(self) -> bool:
        if not port_in_use(self.cfg.kafka_port):
            return False
        return run_blocking(lambda: metadata_ok(self.cfg.kafka_bootstrap, self.cfg.kafka_auth()))

    def stop(self) -> None:
        self.process.stop()

    def kill(self) -> None:
        self.process.kill()

    # -- the rest of devstack.component.Component ------------------------------------------
    ready_timeout = 120.0

    @property
    def log_path(self) -> Path:
        return self.process.log_path

    def running(self) -> bool:
        return self.process.running()

    def rss_bytes(self, children: dict[int, list[int]] | None = None) -> int:
        return self.process.rss_bytes(children)

    def records(self) -> list[dict[str, Any]]:
        return [self.process.record()] if self.process.running() else []


async def metadata_ok(bootstrap: str, auth: Any = None, timeout: float = 5.0) -> bool:
    """True when the broker answers a metadata request listing itself (logged in as `auth`,
    a shared.kafka.KafkaAuth)."""
    from aiokafka import AIOKafkaClient  # imported lazily: the CLI starts faster without it
    from aiokafka.errors import KafkaError

    options = auth.client_options() if auth is not None else {}
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000),
                            **options)
    try:
        await client.bootstrap()
        return bool(client.cluster.brokers())
    except (KafkaError, OSError):
        return False
    finally:
        await client.close()


if __name__ == "__main__":  # `python -m devstack.kafka` resolves the jars only (bootstrap)
    main()
