"""Starts, watches and stops one local stack: Kafka, the PostgreSQL servers, the mail sink and
every service, each a Component (devstack/component.py) with its log in
`<data_dir>/logs/<name>.log`.

    stack = Stack(dev_config())
    with stack:
        stack.start_infrastructure()      # kafka, pg-*, mailsink
        stack.start_services()            # every ServiceSpec, waits for its health URL
        stack.kill_service("routing")     # SIGKILL (fault tests)
        stack.start_service("routing")
    # leaving the block stops everything, services first, Kafka last

Component names: "kafka", "pg-<server>" (e.g. "pg-patient"), "mailsink", and the service
names of `devstack.services.service_specs` ("gateway", "identity", ...)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Self

from devstack import kafka_auth
from devstack.component import side_by_side
from devstack.leftovers import reap_stale_stacks
from devstack.parts import SERVICE_READY_TIMEOUT, StackParts
from devstack.pg_os import find_bindir
from devstack.procs import StackError
from devstack.services import missing_modules

__all__ = ["Stack", "format_rss", "reap_stale_stacks"]

INFRA_READY_TIMEOUT = float(os.environ.get("DEVSTACK_INFRA_TIMEOUT", "120"))


class Stack(StackParts):
    """One running local stack (see the module docstring)."""

    _kafka_provisioned = False

    def __enter__(self) -> Self:
        self._acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- starting --------------------------------------------------------------------------
    def start_infrastructure(self) -> None:
        """Kafka, every PostgreSQL server and the mail sink, started side by side; returns
        when all accept connections. Idempotent: on a running stack it (re)starts only what
        is not running, e.g. after a fault test killed something."""
        self._acquire()
        t0 = time.monotonic()
        find_bindir()  # fail early and clearly if PostgreSQL is not installed
        self._infra_started = True
        self._start(list(self.infra), INFRA_READY_TIMEOUT)
        self.timings["infrastructure"] = time.monotonic() - t0
        self._log("infrastructure ready in {:.1f}s ({})".format(
            self.timings["infrastructure"],
            ", ".join(f"{n} {self.timings[n]:.1f}s" for n in self.infra_names)))

    def check_modules(self, names: Iterable[str] | None = None) -> None:
        """Fail with one clear error naming every service whose module is missing."""
        missing = missing_modules(self.specs, list(self.specs) if names is None else list(names))
        if missing:
            raise StackError("cannot start services, their modules are missing:\n"
                             + "\n".join(missing))

    def start_services(self, names: Iterable[str] | None = None,
                       timeout: float = SERVICE_READY_TIMEOUT) -> None:
        """Start the named services (default: all, in service_specs order) side by side and
        wait until each answers 200 on its health path."""
        self._acquire()
        wanted = list(self.specs) if names is None else list(names)
        unknown = [n for n in wanted if n not in self.specs]
        if unknown:
            raise StackError(f"unknown services {unknown}; known: {list(self.specs)}")
        self.check_modules(wanted)
        t0 = time.monotonic()
        if not self.cfg.runs_shared_infra and not self._kafka_provisioned:
            # Another region on the first's broker: its services' users and ACLs (the first
            # region's come with its broker, devstack/kafka.py).
            kafka_auth.provision_region(self.cfg)
            self._kafka_provisioned = True
        self._start(wanted, timeout)
        self.timings["services"] = time.monotonic() - t0
        self._log(f"services ready in {self.timings['services']:.1f}s: {', '.join(wanted)}")

    def _start(self, names: list[str], timeout: float | None) -> None:
        """Launch on this thread, in order, then wait for all side by side."""
        components = {name: self.component(name) for name in names}
        for name, comp in components.items():
            comp.launch()
            if name in self.specs and name not in self._started_services:
                self._started_services.append(name)
        self._save_state()
        self.timings |= side_by_side({
            name: (lambda c=comp: c.wait_ready(timeout or c.ready_timeout))
            for name, comp in components.items()})

    def start_service(self, name: str, timeout: float | None = None) -> float:
        """(Re)start one component (a service, "kafka", "pg-<server>" or "mailsink") and wait
        until it is ready. Returns the seconds it took."""
        self._acquire()
        if name in self.specs:
            self.check_modules([name])
        t = time.monotonic()
        self._start([name], timeout)
        return time.monotonic() - t

    # -- stopping and faults ---------------------------------------------------------------
    def stop_service(self, name: str) -> None:
        """Stop one component cleanly (SIGTERM, SIGKILL after its timeout; PostgreSQL with
        `pg_ctl stop -m fast`)."""
        self.component(name).stop()
        if self._lock_fd is not None:
            self._save_state()

    def kill_service(self, name: str) -> None:
        """SIGKILL one component and its children at once (crash simulation)."""
        self.component(name).kill()

    def dead_processes(self) -> list[str]:
        """Components this stack started that are no longer running (servers excepted)."""
        dead = [n for n in self._started_services if not self.services[n].running()]
        if self._infra_started and self.cfg.runs_shared_infra:
            dead += [c.name for c in (self.kafka, self.mailsink) if not c.running()]
        return dead

    def stop_services(self, names: Iterable[str] | None = None) -> None:
        """Stop the named running services (default: all), side by side: each gets SIGTERM,
        then SIGKILL after its timeout. Infrastructure keeps running."""
        wanted = [n for n in reversed(self._started_services) if names is None or n in names]
        if not wanted:
            return
        for n in wanted:
            self._started_services.remove(n)
        try:
            side_by_side({n: (lambda s=self.services[n]: s.stop() or 0.0) for n in wanted})
        finally:
            if self._lock_fd is not None:
                self._save_state()

    def stop(self) -> None:
        """Stop everything this stack started: the services, then the mail sink, PostgreSQL
        and Kafka (last, so services can commit offsets while stopping). Safe to call twice."""
        errors: list[BaseException] = []

        def attempt(fn: Callable[[], object]) -> None:
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - reported, then the rest goes on
                errors.append(exc)

        t0 = time.monotonic()
        attempt(self.stop_services)
        attempt(self.mailsink.stop)
        if self._infra_started or any(s.running() for s in self.pg.values()):
            attempt(lambda: side_by_side(
                {n: (lambda s=s: s.stop() or 0.0) for n, s in self.pg.items()}))
        attempt(self.kafka.stop)
        self._infra_started = False
        if self._lock_fd is not None:
            attempt(self._save_state)
        self._release()
        self.timings["stop"] = time.monotonic() - t0
        if errors:
            raise errors[0]

def format_rss(report: dict[str, int]) -> str:
    return "\n".join(f"  {name:<18} {rss / 2**20:8.1f} MiB" for name, rss in report.items())
