"""docker-compose.yml, run for a test: builds the images (scripts/compose-images), starts the
file with podman-compose under its own project name, published ports and subnet (so it never
collides with a developer's `podman-compose up`), waits until every service is ready, and
tears everything down again, volumes included. Each container's log is kept in
/tmp/<project>-logs/ for inspection."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from devstack import ports
from tests.deploy.deployconfig import REPO, compose

READY_TIMEOUT_S = 600  # a cold start on a busy 2-core machine: Kafka alone can take minutes
# `up -d` only creates and starts the containers (seconds; readiness is waited for apart).
# Once, in a full CI run, podman-compose 1.6 (podman 4.3) started the one-shot kafka-acls and
# then never went on to the services, without an error, until its 600 s ran out; the same
# test passed alone right after; in another, `podman start` of the gateway's container
# failed at once, without a log. A second `up` starts whatever is not running.
UP_TIMEOUT_S, UP_ATTEMPTS = 240, 2


def podman_compose() -> str | None:
    """podman-compose from the venv (PyPI, >= 1.3: it supports the fixed subnet and address
    that identity's trusted proxy needs), else one on PATH."""
    venv = Path(sys.executable).parent / "podman-compose"
    return str(venv) if venv.is_file() else shutil.which("podman-compose")


def podman_works() -> str | None:
    """None if podman can run containers here, else why not."""
    if shutil.which("podman") is None:
        return "podman is not installed (scripts/containers-setup installs it)"
    if podman_compose() is None:
        return "podman-compose is not installed"
    probe = subprocess.run(["podman", "info"], capture_output=True, text=True, check=False,
                           timeout=60)
    return None if probe.returncode == 0 else f"podman info fails: {probe.stderr[-500:]}"


def _free_subnet() -> str:
    """First three octets of a 10.89.x.0/24 no podman network uses."""
    names = subprocess.run(["podman", "network", "ls", "--format", "{{.Name}}"],
                           capture_output=True, text=True, check=True).stdout.split()
    used = set()
    for net in json.loads(subprocess.run(["podman", "network", "inspect", *names],
                                         capture_output=True, text=True,
                                         check=True).stdout or "[]"):
        for sub in net.get("subnets") or []:
            used.add(ipaddress.ip_network(sub["subnet"]))
    for x in range(120, 250):
        candidate = ipaddress.ip_network(f"10.89.{x}.0/24")
        if not any(candidate.overlaps(u) for u in used):
            return f"10.89.{x}"
    raise RuntimeError("no free 10.89.x.0/24 subnet for the compose network")


@dataclass
class ComposeStack:
    project: str
    env: dict[str, str]
    build_seconds: float = 0.0
    up_seconds: float = 0.0

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.env['MVK_GATEWAY_PORT']}"

    @property
    def identity_url(self) -> str:
        # localhost, as IDENTITY_PUBLIC_URL: the login cookies are set for that host name
        return f"http://localhost:{self.env['MVK_IDENTITY_PORT']}"

    @property
    def mailsink_url(self) -> str:
        return f"http://127.0.0.1:{self.env['MVK_MAILSINK_PORT']}"

    def compose(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([str(podman_compose()), "-p", self.project, "-f",
                               str(REPO / "docker-compose.yml"), *args],
                              cwd=REPO, env=self.env, capture_output=True, text=True,
                              check=False, timeout=timeout)

    def container(self, service: str) -> str:
        return f"{self.project}_{service}_1"

    def exec(self, service: str, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(["podman", "exec", self.container(service), *argv],
                              capture_output=True, text=True, check=False, timeout=timeout)

    def ip_of(self, service: str) -> str:
        out = subprocess.run(["podman", "inspect", self.container(service), "--format",
                              "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def start(self) -> None:
        started = time.monotonic()
        build = subprocess.run([str(REPO / "scripts/compose-images")], cwd=REPO,
                               capture_output=True, text=True, check=False, timeout=1800)
        assert build.returncode == 0, f"image build failed:\n{build.stderr[-4000:]}"
        self.build_seconds = time.monotonic() - started
        started = time.monotonic()
        up = self._up()
        assert up.returncode == 0, f"podman-compose up failed:\n{up.stderr[-4000:]}"
        try:
            self.wait_ready()
        finally:
            self.up_seconds = time.monotonic() - started

    def _up(self) -> subprocess.CompletedProcess:
        for attempt in range(1, UP_ATTEMPTS + 1):
            try:
                up = self.compose("up", "-d", timeout=UP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                if attempt == UP_ATTEMPTS:
                    raise
                print(f"podman-compose up hung for {UP_TIMEOUT_S} s; again", file=sys.stderr)
                continue
            if up.returncode == 0 or attempt == UP_ATTEMPTS:
                return up
            print(f"podman-compose up failed; again:\n{up.stderr[-2000:]}", file=sys.stderr)
        raise AssertionError("unreachable")

    def wait_ready(self) -> None:
        """Every service answers /readyz. Asked from inside the gateway's container, one
        `podman exec` per round for all of them (podman runs no healthchecks without
        systemd, and an exec per service is slow on a busy machine)."""
        targets = {}
        for name, spec in compose()["services"].items():
            env = spec.get("environment") or {}
            ports = [v for k, v in env.items() if k.endswith("_HTTP_PORT") or
                     k == "HEALTHCHECK_PORT"]
            if "healthcheck" in spec and ports:
                targets[name] = f"http://{name}:{ports[0]}/readyz"
        probe = ("import sys, urllib.request\n"
                 "bad = []\n"
                 "for name, url in zip(sys.argv[1::2], sys.argv[2::2]):\n"
                 "    try:\n"
                 "        urllib.request.urlopen(url, timeout=5).close()\n"
                 "    except Exception:\n"
                 "        bad.append(name)\n"
                 "print(' '.join(bad))\n")
        args = [item for pair in targets.items() for item in pair]
        deadline = time.monotonic() + READY_TIMEOUT_S
        pending = list(targets)
        while time.monotonic() < deadline:
            try:
                done = self.exec("gateway", "python", "-c", probe, *args)
                if done.returncode == 0:
                    pending = done.stdout.split()
                    if not pending:
                        return
            except subprocess.TimeoutExpired:
                pass
            time.sleep(3)
        raise AssertionError(f"not ready after {READY_TIMEOUT_S}s: {pending}")

    def stop(self) -> None:
        logs = Path(f"/tmp/{self.project}-logs")
        logs.mkdir(exist_ok=True)
        for service in compose()["services"]:
            out = subprocess.run(["podman", "logs", self.container(service)],
                                 capture_output=True, text=True, check=False)
            (logs / f"{service}.log").write_text(out.stdout + out.stderr)
        (logs / "timings.txt").write_text(f"build {self.build_seconds:.0f}s, "
                                          f"up and ready {self.up_seconds:.0f}s\n")
        self.compose("down", "-v", "-t", "5")
        # Whatever `down` left behind on a busy machine (it stops containers one by one).
        label = f"label=io.podman.compose.project={self.project}"
        for kind in ("container", "volume", "network"):
            ids = subprocess.run(["podman", kind, "ls", "-q", "--filter", label]
                                 if kind != "container" else
                                 ["podman", "ps", "-aq", "--filter", label],
                                 capture_output=True, text=True, check=False).stdout.split()
            if ids:
                subprocess.run(["podman", kind, "rm", "-f", *ids], capture_output=True,
                               check=False, timeout=300)


def new_stack() -> ComposeStack:
    project = f"mvktest{os.getpid()}"
    # Outside the ephemeral range: a port from bind(0) was once taken by an outgoing
    # connection before podman listened on it.
    gateway, identity, mailsink = ports.claim_spare_ports(3)
    env = {**os.environ, "MVK_GATEWAY_PORT": str(gateway), "MVK_IDENTITY_PORT": str(identity),
           "MVK_MAILSINK_PORT": str(mailsink), "MVK_SUBNET": _free_subnet()}
    return ComposeStack(project, env)
