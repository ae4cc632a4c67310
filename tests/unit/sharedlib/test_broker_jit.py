"""Which JIT the local broker's JVM gets: the full one for a stack that runs for long
(scripts/start, the benchmarks), C1 only for the tests' short-lived stacks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bench import cli
from devstack import config
from devstack.kafka import java_opts

C1_ONLY = "-XX:TieredStopAtLevel=1"


def test_a_test_stack_starts_its_broker_with_c1_only(monkeypatch) -> None:
    monkeypatch.delenv("DEVSTACK_KAFKA_JAVA_OPTS", raising=False)
    assert C1_ONLY in java_opts(config.test_config(Path("/tmp/unused")))


def test_the_local_run_and_the_benchmarks_keep_the_full_jit(monkeypatch) -> None:
    monkeypatch.delenv("DEVSTACK_KAFKA_JAVA_OPTS", raising=False)
    for cfg in (config.dev_config(), cli.stack_config(Path("/tmp/unused"), 30000)):
        opts = java_opts(cfg)
        assert C1_ONLY not in opts
        assert "-Xmx512m" in opts  # the rest of the options stay


def test_the_environment_replaces_every_option(monkeypatch) -> None:
    monkeypatch.setenv("DEVSTACK_KAFKA_JAVA_OPTS", "-Xmx1g  -XX:+UseG1GC")
    cfg = dataclasses.replace(config.test_config(Path("/tmp/unused")), long_running=True)
    assert java_opts(cfg) == ["-Xmx1g", "-XX:+UseG1GC"]
