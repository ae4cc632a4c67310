"""The benchmark's report: report.json (every figure, and each as a ratio to the skeleton
baseline), PNG plots, and a short summary for the terminal and the README."""

from __future__ import annotations

import json
import platform
import subprocess
import time
from pathlib import Path

from bench.runner import sustained
from bench.throughput_targets import TARGETS


def uptime() -> str:
    return subprocess.run(["uptime"], check=False, capture_output=True, text=True).stdout.strip()


def step_line(label: str, f: dict) -> str:
    lat = f.get("submit_to_inbox_s") or f.get("round_trip_s") or {}
    p99 = f"{lat['p99'] * 1000:.0f} ms" if lat.get("p99") is not None else "-"
    return (f"{label:>9} c={f['concurrency']:<3} {f['workflows_per_s']:6.1f} wf/s  "
            f"errors {f['errors']}  cpu {f['cpu_ms_per_workflow_total']:6.1f} ms/wf  "
            f"cores {f['cpu_cores_busy']:.2f}  p99 visible {p99}")


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def build(figures: dict, counts: dict, args) -> dict:
    best = sustained(figures["steps"], 0.001)
    base = sustained(figures["skeleton_steps"], 0.001)
    half = None
    if best:  # the step at or below the sustained one whose load is nearest half of it
        half_load = best["workflows_per_s"] / 2
        half = min((s for s in figures["steps"] if s["concurrency"] <= best["concurrency"]),
                   key=lambda s: abs(s["workflows_per_s"] - half_load))
    summary: dict = {}
    if best and base:
        summary = {
            "sustained_workflows_per_s": round(best["workflows_per_s"], 1),
            "at_concurrency": best["concurrency"],
            "skeleton_workflows_per_s": round(base["workflows_per_s"], 1),
            "ratio_to_skeleton": _ratio(best["workflows_per_s"], base["workflows_per_s"]),
            "cpu_ms_per_workflow": best["cpu_ms_per_workflow_total"],
            "cpu_ms_per_workflow_marginal": best.get("cpu_ms_per_workflow_marginal_total"),
            "skeleton_cpu_ms_per_workflow": base["cpu_ms_per_workflow_total"],
            "cpu_ratio_to_skeleton": _ratio(best["cpu_ms_per_workflow_total"],
                                            base["cpu_ms_per_workflow_total"]),
            "submit_to_inbox_p99_s_at_half_load": half and half["submit_to_inbox_s"]["p99"],
            "half_load_concurrency": half and half["concurrency"],
            "latency_ratios_to_skeleton_round_trip_p50": {
                k: _ratio(best[k]["p50"], base["round_trip_s"]["p50"])
                for k in ("submit_to_inbox_s", "answer_to_patient_s")},
            "log_bytes_per_workflow": best.get("log_bytes_per_workflow"),
            "listing_p99_ratio_100k_to_1k": (figures.get("listing") or {}).get(
                "p99_ratio_largest_to_smallest"),
        }
    return {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {"cpus": _cpus(), "python": platform.python_version(),
                        "load_before": figures.get("uptime_before"), "load_after": uptime()},
            "settings": {"levels": args.levels, "step_s": args.step_s,
                         "max_p99_s": args.max_p99_s},
            "targets": TARGETS, "summary": summary, "one_workflow": counts, **figures}


def _cpus() -> int:
    import os
    return os.cpu_count() or 0


def write(result: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    try:
        from bench.plots import plot_all
    except ImportError:  # matplotlib is in the bench extra; the JSON is the record
        return
    plot_all(result, out)


def summary(result: dict) -> str:
    s = result["summary"]
    return "\n".join(f"{k}: {v}" for k, v in s.items()) or "no sustained step"
