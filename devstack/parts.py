"""The components of one local stack by name — Kafka, the PostgreSQL servers, the mail sink
and the services, each a devstack.component.Component — with their URLs and the stack's
state file (what a crashed supervisor left running is found through it: leftovers.py)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from devstack import lock, ports
from devstack.component import Component, ProcessComponent, http_ready, python_process
from devstack.config import REPO_ROOT, StackConfig
from devstack.kafka import KafkaBroker
from devstack.postgres import PostgresServer
from devstack.process import ManagedProcess
from devstack.procs import StackError, http_ok, port_in_use
from devstack.proctree import children_map
from devstack.services import ServiceSpec, python_executable, service_specs

SERVICE_READY_TIMEOUT = float(os.environ.get("DEVSTACK_SERVICE_TIMEOUT", "120"))


class StackParts:
    """What Stack (supervisor.py) starts and stops, and how to find each part."""

    def __init__(self, cfg: StackConfig, *, python: str | None = None, quiet: bool = False) -> None:
        self.cfg, self.quiet = cfg, quiet
        self.python = python or python_executable()
        self.logs_dir = cfg.data_dir / "logs"
        self.kafka = KafkaBroker(cfg)
        self.pg = {f"pg-{s.name}": PostgresServer(cfg, s) for s in cfg.pg_servers}
        self.mailsink = ProcessComponent(
            python_process("mailsink", self.python, [
                "devstack.mailsink", "--smtp-port", str(cfg.smtp_port),
                "--http-port", str(cfg.mailsink_http_port), "--dir", str(cfg.data_dir / "mail")],
                self.logs_dir / "mailsink.log", env={}, cwd=REPO_ROOT, stop_timeout=10.0),
            self._mailsink_ready, "serving SMTP and HTTP",
            ports=[cfg.smtp_port, cfg.mailsink_http_port], ready_timeout=30)
        # Another region than the first starts only its own databases (config.region_index).
        self.infra: dict[str, Component] = (
            {"kafka": self.kafka, **self.pg, "mailsink": self.mailsink}
            if cfg.runs_shared_infra else dict(self.pg))
        self.specs: dict[str, ServiceSpec] = {s.name: s for s in service_specs(cfg)}
        self.services: dict[str, ProcessComponent] = {}
        self.timings: dict[str, float] = {}
        self._started_services: list[str] = []  # start order, for reverse stop
        self._infra_started = False
        self._lock_fd: int | None = None

    # -- names, urls, components -----------------------------------------------------------
    @property
    def infra_names(self) -> list[str]:
        return list(self.infra)

    def names(self) -> list[str]:
        return [*self.infra_names, *self.specs]

    def urls(self) -> dict[str, str]:
        c = self.cfg
        return {"kafka": c.kafka_bootstrap,
                **{name: f"postgresql://127.0.0.1:{srv.port}/ ({', '.join(srv.server.databases)})"
                   for name, srv in self.pg.items()},
                "mailsink (web)": f"http://127.0.0.1:{c.mailsink_http_port}/",
                "mailsink (smtp)": f"127.0.0.1:{c.smtp_port}",
                **{name: spec.url for name, spec in self.specs.items()}}

    def component(self, name: str) -> Component:
        if name in self.infra:
            return self.infra[name]
        if name in self.specs:
            return self._service(self.specs[name])
        raise StackError(f"unknown component {name!r}; known: {self.names()}")

    def _service(self, spec: ServiceSpec) -> ProcessComponent:
        if spec.name not in self.services:
            self.services[spec.name] = ProcessComponent(
                python_process(spec.name, self.python, [spec.module],
                               self.logs_dir / f"{spec.name}.log", env=spec.env, cwd=REPO_ROOT,
                               stop_timeout=15.0),
                http_ready(spec.url + spec.health_path),
                f"healthy ({spec.url + spec.health_path} answering 200)",
                ports=[spec.port], ready_timeout=SERVICE_READY_TIMEOUT)
        return self.services[spec.name]

    def _log(self, msg: str) -> None:
        if not self.quiet:
            print(f"devstack: {msg}", file=sys.stderr, flush=True)

    # -- one stack per data dir ------------------------------------------------------------
    def _acquire(self) -> None:
        if self._lock_fd is None:
            self._lock_fd = lock.acquire(self.cfg.data_dir)
            ports.reserve_block(self.cfg.base_port)  # whoever chose the block (devstack.ports)
            self._save_state()

    def _release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _save_state(self) -> None:
        state = {"supervisor_pid": os.getpid(),
                 "processes": [r for c in self._all() for r in c.records()],
                 "urls": self.urls()}
        path = self.cfg.data_dir / "stack.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(path)

    def _all(self) -> list[Component]:
        return [*self.infra.values(), *self.services.values()]

    def _mailsink_ready(self) -> bool:
        return port_in_use(self.cfg.smtp_port) and http_ok(
            f"http://127.0.0.1:{self.cfg.mailsink_http_port}/healthz")

    def process(self, name: str) -> ManagedProcess:
        """The ManagedProcess of a service, "kafka" or "mailsink" (pid, log_path, running())."""
        comp = self.component(name)
        if not isinstance(comp, ProcessComponent | KafkaBroker):
            raise StackError(f"{name} is not one managed process")
        return comp.process

    def log_path(self, name: str) -> Path:
        return self.component(name).log_path

    def running(self, name: str) -> bool:
        if name in self.specs and name not in self.services:
            return False
        return self.component(name).running()

    def rss_report(self) -> dict[str, int]:
        """Resident memory in bytes (VmRSS of the process and all its children) of every
        running component, plus "total"."""
        children = children_map()
        report = {c.name: rss for c in self._all() if (rss := c.rss_bytes(children))}
        report["total"] = sum(report.values())
        return report


