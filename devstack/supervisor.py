"""Starts, watches and stops one local stack: Kafka, the PostgreSQL servers, the mail sink and
every service, each a separate process with its log in `<data_dir>/logs/<name>.log`.

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

import fcntl
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Self

from devstack.config import REPO_ROOT, StackConfig
from devstack.kafka import KafkaBroker
from devstack.postgres import PostgresServer, find_bindir
from devstack.procs import (
    ManagedProcess,
    StackError,
    _children_map,
    descendants,
    http_ok,
    kill_recorded,
    pid_alive,
    port_in_use,
)
from devstack.services import ServiceSpec, service_specs

SERVICE_READY_TIMEOUT = float(os.environ.get("DEVSTACK_SERVICE_TIMEOUT", "120"))
INFRA_READY_TIMEOUT = float(os.environ.get("DEVSTACK_INFRA_TIMEOUT", "120"))


def python_executable() -> str:
    """The project's venv Python if there is one (what scripts/bootstrap makes), else ours."""
    venv = REPO_ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.is_file() else sys.executable


def module_file(module: str, root: Path = REPO_ROOT) -> Path | None:
    """The file `python -m module` would run from `root`, or None if there is none."""
    base = root.joinpath(*module.split("."))
    for candidate in (base / "__main__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


class Stack:
    """One running local stack (see the module docstring)."""

    def __init__(self, cfg: StackConfig, *, python: str | None = None, quiet: bool = False) -> None:
        self.cfg = cfg
        self.python = python or python_executable()
        self.quiet = quiet
        self.logs_dir = cfg.data_dir / "logs"
        self.kafka = KafkaBroker(cfg)
        self.pg = {f"pg-{s.name}": PostgresServer(cfg, s) for s in cfg.pg_servers}
        self.mailsink = ManagedProcess(
            "mailsink",
            [
                self.python,
                "-m",
                "devstack.mailsink",
                "--smtp-port",
                str(cfg.smtp_port),
                "--http-port",
                str(cfg.mailsink_http_port),
                "--dir",
                str(cfg.data_dir / "mail"),
            ],
            self.logs_dir / "mailsink.log",
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
            cwd=REPO_ROOT,
            stop_timeout=10.0,
        )
        self.specs: dict[str, ServiceSpec] = {s.name: s for s in service_specs(cfg)}
        self.services: dict[str, ManagedProcess] = {}
        self.timings: dict[str, float] = {}
        self._started_services: list[str] = []  # start order, for reverse stop
        self._infra_started = False
        self._lock_fd: int | None = None

    # -- context manager -------------------------------------------------------------------
    def __enter__(self) -> Self:
        self._acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- names and urls --------------------------------------------------------------------
    @property
    def infra_names(self) -> list[str]:
        return ["kafka", *self.pg, "mailsink"]

    def names(self) -> list[str]:
        return [*self.infra_names, *self.specs]

    def urls(self) -> dict[str, str]:
        c = self.cfg
        out = {
            "kafka": c.kafka_bootstrap,
            **{
                name: f"postgresql://127.0.0.1:{srv.port}/ ({', '.join(srv.server.databases)})"
                for name, srv in self.pg.items()
            },
            "mailsink (web)": f"http://127.0.0.1:{c.mailsink_http_port}/",
            "mailsink (smtp)": f"127.0.0.1:{c.smtp_port}",
        }
        out |= {name: spec.url for name, spec in self.specs.items()}
        return out

    def _log(self, msg: str) -> None:
        if not self.quiet:
            print(f"devstack: {msg}", file=sys.stderr, flush=True)

    # -- one stack per data dir ------------------------------------------------------------
    def _acquire(self) -> None:
        if self._lock_fd is not None:
            return
        d = self.cfg.data_dir
        d.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            d.chmod(0o755)  # the postgres user must be able to reach pg/ inside it
        fd = os.open(d / "stack.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            owner = _read_state(d).get("supervisor_pid")
            raise StackError(
                f"another stack (pid {owner}) is already running on {d}; stop it first"
            ) from None
        self._lock_fd = fd
        reap_processes(d)  # anything a crashed earlier supervisor of this dir left behind
        self._save_state()

    def _release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _all_processes(self) -> list[ManagedProcess]:
        return [self.kafka.process, self.mailsink, *self.services.values()]

    def _save_state(self) -> None:
        state = {
            "supervisor_pid": os.getpid(),
            "processes": [p.record() for p in self._all_processes() if p.running()],
            "urls": self.urls(),
        }
        path = self.cfg.data_dir / "stack.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(path)

    # -- infrastructure --------------------------------------------------------------------
    def start_infrastructure(self) -> None:
        """Kafka, every PostgreSQL server and the mail sink, started side by side; returns
        when all accept connections. Idempotent: on a running stack it (re)starts only what
        is not running, e.g. after a fault test killed something."""
        self._acquire()
        t0 = time.monotonic()
        find_bindir()  # fail early and clearly if PostgreSQL is not installed
        for name, port in [
            ("mailsink smtp", self.cfg.smtp_port),
            ("mailsink http", self.cfg.mailsink_http_port),
        ]:
            if not self.mailsink.running() and port_in_use(port):
                raise StackError(f"{name}: port {port} is already in use")
        self._infra_started = True
        if not self.kafka.process.running():
            self.kafka.launch()
        self.mailsink.start()
        self._save_state()
        # PostgreSQL (initdb, pg_ctl -w) blocks in subprocesses: do all servers at once while
        # the JVM starts.
        with ThreadPoolExecutor(max_workers=len(self.pg) or 1) as pool:
            futures = {
                name: pool.submit(srv.start, INFRA_READY_TIMEOUT) for name, srv in self.pg.items()
            }
            errors = []
            for name, fut in futures.items():
                try:
                    self.timings[name] = fut.result()
                except Exception as exc:  # noqa: BLE001 - reported, then the rest goes on
                    errors.append(exc)
        if errors:
            raise errors[0]
        self.timings["kafka"] = self.kafka.wait_ready(INFRA_READY_TIMEOUT)
        self.timings["mailsink"] = self.mailsink.wait_until(
            self._mailsink_ready, 30, "serving SMTP and HTTP"
        )
        self.timings["infrastructure"] = time.monotonic() - t0
        self._log(
            "infrastructure ready in {:.1f}s ({})".format(
                self.timings["infrastructure"],
                ", ".join(f"{n} {self.timings[n]:.1f}s" for n in self.infra_names),
            )
        )

    def _mailsink_ready(self) -> bool:
        return port_in_use(self.cfg.smtp_port) and http_ok(
            f"http://127.0.0.1:{self.cfg.mailsink_http_port}/healthz"
        )

    # -- services --------------------------------------------------------------------------
    def _service_process(self, spec: ServiceSpec) -> ManagedProcess:
        if spec.name not in self.services:
            env = os.environ | spec.env | {"PYTHONUNBUFFERED": "1"}
            self.services[spec.name] = ManagedProcess(
                spec.name,
                [self.python, "-m", spec.module],
                self.logs_dir / f"{spec.name}.log",
                env=env,
                cwd=REPO_ROOT,
                stop_timeout=15.0,
            )
        return self.services[spec.name]

    def check_modules(self, names: Iterable[str] | None = None) -> None:
        """Fail with one clear error naming every service whose module is missing."""
        names = list(self.specs) if names is None else list(names)
        missing = [
            f"  {n}: `python -m {self.specs[n].module}` (no {self.specs[n].module.replace('.', '/')}"
            f"/__main__.py or .py under {REPO_ROOT})"
            for n in names
            if module_file(self.specs[n].module) is None
        ]
        if missing:
            raise StackError(
                "cannot start services, their modules are missing:\n" + "\n".join(missing)
            )

    def start_services(
        self, names: Iterable[str] | None = None, timeout: float = SERVICE_READY_TIMEOUT
    ) -> None:
        """Start the named services (default: all, in service_specs order) side by side and
        wait until each answers 200 on its health path."""
        self._acquire()
        wanted = list(self.specs) if names is None else list(names)
        unknown = [n for n in wanted if n not in self.specs]
        if unknown:
            raise StackError(f"unknown services {unknown}; known: {list(self.specs)}")
        self.check_modules(wanted)
        t0 = time.monotonic()
        for name in wanted:
            spec = self.specs[name]
            proc = self._service_process(spec)
            if not proc.running():
                if port_in_use(spec.port):
                    raise StackError(f"{name}: port {spec.port} is already in use")
                proc.start()
            if name not in self._started_services:
                self._started_services.append(name)
        self._save_state()
        for name in wanted:
            self.timings[name] = self._wait_service(name, timeout)
        self.timings["services"] = time.monotonic() - t0
        self._log(f"services ready in {self.timings['services']:.1f}s: {', '.join(wanted)}")

    def _wait_service(self, name: str, timeout: float) -> float:
        spec = self.specs[name]
        url = spec.url + spec.health_path
        return self.services[name].wait_until(
            lambda: http_ok(url), timeout, f"healthy ({url} answering 200)", interval=0.25
        )

    # -- one component ---------------------------------------------------------------------
    def start_service(self, name: str, timeout: float | None = None) -> float:
        """(Re)start one component (a service, "kafka", "pg-<server>" or "mailsink") and wait
        until it is ready. Returns the seconds it took."""
        self._acquire()
        t = time.monotonic()
        if name == "kafka":
            self.kafka.launch()
            self._save_state()
            self.kafka.wait_ready(timeout or INFRA_READY_TIMEOUT)
        elif name in self.pg:
            self.pg[name].start(timeout or INFRA_READY_TIMEOUT)
        elif name == "mailsink":
            self.mailsink.start()
            self._save_state()
            self.mailsink.wait_until(self._mailsink_ready, timeout or 30, "serving SMTP and HTTP")
        elif name in self.specs:
            self.check_modules([name])
            proc = self._service_process(self.specs[name])
            proc.start()
            if name not in self._started_services:
                self._started_services.append(name)
            self._save_state()
            self._wait_service(name, timeout or SERVICE_READY_TIMEOUT)
        else:
            raise StackError(f"unknown component {name!r}; known: {self.names()}")
        return time.monotonic() - t

    def stop_service(self, name: str) -> None:
        """Stop one component cleanly (SIGTERM, SIGKILL after its timeout; PostgreSQL with
        `pg_ctl stop -m fast`)."""
        if name == "kafka":
            self.kafka.stop()
        elif name in self.pg:
            self.pg[name].stop()
        elif name == "mailsink":
            self.mailsink.stop()
        elif name in self.specs:
            if name in self.services:
                self.services[name].stop()
        else:
            raise StackError(f"unknown component {name!r}; known: {self.names()}")
        if self._lock_fd is not None:
            self._save_state()

    def kill_service(self, name: str) -> None:
        """SIGKILL one component and its children at once (crash simulation)."""
        if name == "kafka":
            self.kafka.kill()
        elif name in self.pg:
            self.pg[name].kill()
        elif name == "mailsink":
            self.mailsink.kill()
        elif name in self.specs:
            if name in self.services:
                self.services[name].kill()
        else:
            raise StackError(f"unknown component {name!r}; known: {self.names()}")

    def process(self, name: str) -> ManagedProcess:
        """The ManagedProcess of a service, "kafka" or "mailsink" (pid, log_path, running())."""
        if name == "kafka":
            return self.kafka.process
        if name == "mailsink":
            return self.mailsink
        return self.services[name]

    def log_path(self, name: str) -> Path:
        if name in self.pg:
            return self.pg[name].log_path
        return self.process(name).log_path

    def running(self, name: str) -> bool:
        if name in self.pg:
            return self.pg[name].postmaster_pid() is not None
        if name in self.specs and name not in self.services:
            return False
        return self.process(name).running()

    def dead_processes(self) -> list[str]:
        """Components this stack started that are no longer running."""
        dead = [n for n in self._started_services if not self.services[n].running()]
        if self._infra_started:
            dead += [p.name for p in (self.kafka.process, self.mailsink) if not p.running()]
        return dead

    # -- stop ------------------------------------------------------------------------------
    def stop_services(self, names: Iterable[str] | None = None) -> None:
        """Stop the named running services (default: all), side by side: each gets SIGTERM,
        then SIGKILL after its timeout. Infrastructure keeps running."""
        wanted = [n for n in reversed(self._started_services) if names is None or n in names]
        if not wanted:
            return
        with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
            futures = [pool.submit(self.services[n].stop) for n in wanted]
        for n in wanted:
            self._started_services.remove(n)
        if self._lock_fd is not None:
            self._save_state()
        for fut in futures:
            fut.result()

    def stop(self) -> None:
        """Stop everything this stack started: the services, then the mail sink, PostgreSQL
        and Kafka (last, so services can commit offsets while stopping). Safe to call twice."""
        errors: list[BaseException] = []

        def attempt(fn, *args) -> None:
            try:
                fn(*args)
            except Exception as exc:  # noqa: BLE001 - reported, then the rest goes on
                errors.append(exc)

        t0 = time.monotonic()
        attempt(self.stop_services)
        attempt(self.mailsink.stop)
        if self._infra_started or any(s.postmaster_pid() for s in self.pg.values()):
            with ThreadPoolExecutor(max_workers=len(self.pg) or 1) as pool:
                for fut in [pool.submit(s.stop) for s in self.pg.values()]:
                    attempt(fut.result)
        attempt(self.kafka.stop)
        self._infra_started = False
        if self._lock_fd is not None:
            attempt(self._save_state)
        self._release()
        self.timings["stop"] = time.monotonic() - t0
        if errors:
            raise errors[0]

    # -- memory ----------------------------------------------------------------------------
    def rss_report(self) -> dict[str, int]:
        """Resident memory in bytes (VmRSS of the process and all its children) of every
        running component, plus "total"."""
        children = _children_map()
        report: dict[str, int] = {}
        for proc in self._all_processes():
            if proc.running():
                report[proc.name] = proc.rss_bytes(children)
        for name, srv in self.pg.items():
            rss = srv.rss_bytes()
            if rss:
                report[name] = rss
        report["total"] = sum(report.values())
        return report


def format_rss(report: dict[str, int]) -> str:
    return "\n".join(f"  {name:<18} {rss / 2**20:8.1f} MiB" for name, rss in report.items())


# ---------------------------------------------------------------------------------------------
# Leftovers of crashed supervisors


def _read_state(data_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((data_dir / "stack.json").read_text())
    except (OSError, ValueError):
        return {}


def reap_processes(data_dir: Path, *, stop_pg: bool = False) -> list[str]:
    """Kill what a dead supervisor of `data_dir` left running (exactly the recorded
    processes: same pid and start time). PostgreSQL servers it left are kept (the next
    start reuses them) unless `stop_pg`. Call only while holding the data dir's lock.
    Returns the names of what was found."""
    state = _read_state(data_dir)
    if state.get("supervisor_pid") == os.getpid():
        return []
    found = [r["name"] for r in state.get("processes", []) if kill_recorded(r)]
    if stop_pg:
        for pg_version in data_dir.glob("pg/*/PG_VERSION"):
            datadir = pg_version.parent
            try:
                pid = int((datadir / "postmaster.pid").read_text().splitlines()[0])
            except (OSError, ValueError, IndexError):
                continue
            if pid_alive(pid):
                found.append(f"pg-{datadir.name}")
                pids = [pid, *descendants(pid)]
                for p in pids:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                deadline = time.monotonic() + 10
                while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
                    time.sleep(0.05)
    return found


def reap_stale_stacks(pattern: str, *, remove: bool = True) -> list[Path]:
    """For each data dir matching the glob `pattern` whose lock is free (its supervisor is
    gone): kill its leftovers and, with `remove`, delete it. Used by the test fixtures so
    each session's fresh /tmp dir does not pile up or leave servers behind."""
    import glob

    reaped = []
    for d in map(Path, glob.glob(pattern)):
        lock = d / "stack.lock"
        if not lock.exists():
            continue
        fd = os.open(lock, os.O_RDWR)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live stack
            reap_processes(d, stop_pg=True)
            reaped.append(d)
            if remove:
                shutil.rmtree(d, ignore_errors=True)
        finally:
            os.close(fd)
    return reaped
