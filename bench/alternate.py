"""Old code against new code in one run, for the before/after micro-benchmarks (bench.reqpath,
bench.mailboxpaths, bench.auditbatch, bench.relaypaths).

The old code is an older commit's packages extracted with `git archive` (default `main`); the
new one is this tree. Each round runs one worker process per side: the same worker file (this
tree's) with the side's tree first on PYTHONPATH, so both run the same measurement on
different code. The sides alternate, and which goes first alternates round by round, so load
from elsewhere on the shared machine hits both alike; the figures are the medians of the
rounds. A worker prints one JSON object: `tree` (where its `services` package came from, checked
here so a wrong PYTHONPATH cannot pass unnoticed) and `ops` (its figures, nested dicts of
numbers)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import cli
from devstack.supervisor import Stack

ROOT = Path(__file__).resolve().parent.parent


def extract(rev: str, paths: Sequence[str] = ("services", "shared")) -> Path:
    """`paths` of commit `rev` in a new temporary directory."""
    tree = Path(tempfile.mkdtemp(prefix="bench-before-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, *paths], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def run_worker(tree: Path, worker: Path, args: Sequence[str]) -> Any:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, str(worker), *args], cwd=tree, env=env, check=True,
                         capture_output=True, text=True)
    found = json.loads(out.stdout)
    assert Path(found["tree"]).parent == tree, found["tree"]  # the code meant to be measured
    return found["ops"]


def alternate(worker: Path, args: Sequence[str], rounds: int, before: Path,
              after: Path = ROOT) -> dict[str, list[Any]]:
    """`rounds` samples per side, the sides alternating (first one, then the other first)."""
    samples: dict[str, list[Any]] = {"before": [], "after": []}
    sides = [("before", before), ("after", after)]
    for i in range(rounds):
        for side, tree in sides if i % 2 == 0 else reversed(sides):
            samples[side].append(run_worker(tree, worker, args))
        print(f"round {i + 1}/{rounds} done", file=sys.stderr)
    return samples


def postgres_run(base_port: int, worker: Path, args: list[str], rounds: int,
                 before: Path) -> dict:
    """`alternate` with a PostgreSQL server of its own (no Kafka), whose URL and postmaster
    pid go to the worker before `args`."""
    data_dir = cli.stack_dir("pg")
    cfg = cli.stack_config(data_dir, base_port)
    with Stack(cfg) as stack:
        stack.start_service("pg-platform")
        pid = stack.pg["pg-platform"].postmaster_pid()
        assert pid is not None
        return alternate(
            worker, [cfg.database_url("platform", "scratch"), str(pid), *args], rounds,
            before=before)


def compare(samples: dict[str, list], cpu: tuple[str, ...]) -> dict:
    """Per operation and path: the medians of both sides and the ratio of their CPU."""
    before, after = (median(samples[side]) for side in ("before", "after"))
    return {op: {path: {"before": before[op][path], "after": after[op][path],
                        "cpu_ratio": round(sum(after[op][path][k] for k in cpu)
                                           / sum(before[op][path][k] for k in cpu), 2)}
                 for path in before[op]} for op in before}


def median(samples: list[Any], digits: int = 3) -> Any:
    """The median of each number across samples of the same shape (nested dicts)."""
    if isinstance(samples[0], dict):
        return {k: median([s[k] for s in samples], digits) for k in samples[0]}
    return round(statistics.median(samples), digits)


def save(out: Path | None, name: str, result: dict) -> None:
    print(json.dumps(result, indent=1))
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(json.dumps(result, indent=1) + "\n")
