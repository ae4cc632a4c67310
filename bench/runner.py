"""One measured step of load against a running system (real or skeleton): CPU of every
process, log growth, resident memory and the workflows' outcome, turned into the figures the
report keeps (see bench/throughput.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import procstat
from bench.measure import percentiles
from bench.workflow import StepResult


def log_bytes(logs_dir: Path) -> int:
    return sum(p.stat().st_size for p in logs_dir.glob("*.log")) if logs_dir.is_dir() else 0


async def measured(roots: Callable[[], dict[str, int]], logs_dir: Path | None,
                   load: Callable[[], Awaitable[StepResult]],
                   idle_cpu_ms_per_s: dict[str, float] | None = None
                   ) -> tuple[StepResult, dict]:
    """Runs `load`, returning its result and the step's figures (without latencies). With
    the processes' idle burn, also the marginal CPU of a workflow: what the load added."""
    pids = roots()
    cpu0, client0 = procstat.cpu_ms(pids), procstat.self_cpu_ms()
    logs0 = log_bytes(logs_dir) if logs_dir else 0
    result = await load()
    await asyncio.sleep(1.0)  # the tail of asynchronous work (mails, audit) lands in this step
    cpu = procstat.delta(procstat.cpu_ms(pids), cpu0)
    client_ms = procstat.self_cpu_ms() - client0
    done = max(result.completed, 1)
    wall = result.finished - result.started
    attempted = result.completed + result.errors
    figures = {
        "workflows": result.completed,
        "errors": result.errors,
        "error_rate": result.errors / attempted if attempted else 0.0,
        "error_kinds": result.error_kinds,
        "seconds": round(wall, 2),
        "workflows_per_s": result.completed / wall if wall else 0.0,
        "requests_per_workflow": result.requests / done,
        "polls_per_workflow": result.polls / done,
        "cpu_ms_per_workflow": {k: round(v / done, 2) for k, v in sorted(cpu.items())},
        "cpu_ms_per_workflow_total": round(sum(cpu.values()) / done, 2),
        "cpu_cores_busy": round(sum(cpu.values()) / 1000 / wall, 2) if wall else 0.0,
        "client_cpu_ms_per_workflow": round(client_ms / done, 2),
        "rss_mib": {k: round(v / 2**20, 1) for k, v in sorted(procstat.rss_bytes(pids).items())},
        "workflow_s": percentiles(result.workflow_s),
        "submit_request_s": percentiles(result.submit_s),
    }
    if idle_cpu_ms_per_s:
        seconds = wall + 1.0  # the step and its tail
        marginal = {k: max(v - idle_cpu_ms_per_s.get(k, 0.0) * seconds, 0.0) / done
                    for k, v in cpu.items()}
        figures["cpu_ms_per_workflow_marginal"] = {k: round(v, 2)
                                                   for k, v in sorted(marginal.items())}
        figures["cpu_ms_per_workflow_marginal_total"] = round(sum(marginal.values()), 2)
    if logs_dir:
        figures["log_bytes_per_workflow"] = round((log_bytes(logs_dir) - logs0) / done, 1)
    return result, figures


def broken(figures: dict, max_error_rate: float, max_p99_s: float) -> bool:
    """The load has gone past what the system sustains."""
    p99 = figures["workflow_s"]["p99"]
    return figures["error_rate"] >= max_error_rate or p99 is None or p99 > max_p99_s


def sustained(steps: list[dict], max_error_rate: float) -> dict | None:
    """The step with the most workflows per second under the error bound."""
    good = [s for s in steps if s["error_rate"] < max_error_rate and s["workflows"]]
    return max(good, key=lambda s: s["workflows_per_s"]) if good else None
