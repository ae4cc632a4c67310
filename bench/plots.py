"""PNG plots of a benchmark report (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def plot_all(result: dict, out: Path) -> None:
    steps, skel = result["steps"], result["skeleton_steps"]
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    ax[0].plot([s["concurrency"] for s in steps], [s["workflows_per_s"] for s in steps], "o-",
               label="system")
    ax[0].plot([s["concurrency"] for s in skel], [s["workflows_per_s"] for s in skel], "s--",
               label="skeleton baseline")
    ax[0].set(xlabel="concurrent clients", ylabel="complete workflows/s", xscale="log",
              title="Throughput")
    ax[0].legend()
    for key, label in (("submit_to_inbox_s", "submit → unit inbox"),
                       ("answer_to_patient_s", "answer → patient")):
        for p, style in (("p50", "o-"), ("p99", "x:")):
            ax[1].plot([s["concurrency"] for s in steps],
                       [(s[key][p] or 0) * 1000 for s in steps], style, label=f"{label} {p}")
    ax[1].set(xlabel="concurrent clients", ylabel="ms", xscale="log",
              title="Latency by load (database-stamped)")
    for a in ax:
        levels = sorted({s["concurrency"] for s in steps + skel})
        a.set_xticks(levels, [str(n) for n in levels])
        a.minorticks_off()
    ax[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "throughput.png", dpi=90)
    plt.close(fig)
    best = max(steps, key=lambda s: s["workflows_per_s"]) if steps else None
    if best:
        cpu = best["cpu_ms_per_workflow"]
        names = sorted(cpu, key=cpu.__getitem__)
        fig, ax1 = plt.subplots(figsize=(7, 4))
        ax1.barh(names, [cpu[n] for n in names])
        ax1.set(xlabel="CPU ms per complete workflow",
                title=f"CPU by process at {best['workflows_per_s']:.0f} workflows/s")
        fig.tight_layout()
        fig.savefig(out / "cpu_by_process.png", dpi=90)
        plt.close(fig)
