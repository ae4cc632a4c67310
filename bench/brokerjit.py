"""The broker's CPU per workflow with the JVM's full JIT against C1 only, over several
minutes of steady load: the skeleton baseline's Kafka round trips (bench/skeleton.py, with
a workflow's counts from the throughput benchmark's calibration), step after step, with the
JIT's own compiler threads measured apart.

    python -m bench.brokerjit [--rounds 2] [--steps 7] [--step-s 30] [--clients 8]
                              [--out FILE.json]

Each round starts a fresh stack's infrastructure twice, once per JIT, in alternating order
(full, C1, full, C1, ...), so the machine's drift falls on both. Not part of the suite."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import statistics
from pathlib import Path

from bench import cli, procstat, throughput
from bench.skeleton_load import Counts
from devstack.supervisor import Stack

# One workflow as the throughput benchmark's calibration counted it (perf10, perf11).
WORKFLOW = Counts(requests=8, internal_calls=1, commits=24, round_trips=42, consumer_commits=7)


def jvm_cpu_ms(pid: int) -> tuple[float, float]:
    """(the whole JVM, all but the JIT's compiler threads) since it started. Compiler
    threads come and go, so the JIT's share is the difference of the two: approximate, as
    another thread that ends takes its time out of the second sum (a few ms/s at most)."""
    others = sum(ms for name, ms in procstat.thread_cpu_ms(pid).items()
                 if "Compiler" not in name)
    return procstat.cpu_ms({"jvm": pid})["jvm"], others


async def _compiler_ms_per_s(pid: int, every_s: float, samples: list[float]) -> None:
    """Appends the JIT compiler threads' CPU per second over each `every_s`, until cancelled."""
    before = jvm_cpu_ms(pid)
    while True:
        await asyncio.sleep(every_s)
        after = jvm_cpu_ms(pid)
        samples.append(round(((after[0] - before[0]) - (after[1] - before[1])) / every_s, 1))
        before = after


async def _load(stack: Stack, steps: int, step_s: float, clients: int) -> dict:
    pid = stack.kafka.process.pid
    compiler: list[float] = []
    sampler = asyncio.create_task(_compiler_ms_per_s(pid, 10.0, compiler))
    try:
        figures = await throughput.baseline(stack, WORKFLOW, [clients] * steps, step_s)
    finally:
        sampler.cancel()
    return {"steps": [{"workflows_per_s": round(f["workflows_per_s"], 1),
                       "broker_ms_per_workflow": round(f["cpu_ms_per_workflow"]["kafka"], 2)}
                      for f in figures],
            "jit_compiler_ms_per_s_every_10s": compiler}


def one_stack(base_port: int, full_jit: bool, steps: int, step_s: float, clients: int) -> dict:
    cfg = dataclasses.replace(cli.stack_config(cli.stack_dir("brokerjit"), base_port),
                              long_running=full_jit)
    with Stack(cfg) as stack:
        stack.start_infrastructure()
        return asyncio.run(_load(stack, steps, step_s, clients))


def summarise(runs: dict[str, list[dict]], settled_steps: int) -> dict:
    """Per JIT, the median over its rounds of the last `settled_steps` steps."""
    def median(mode: str) -> float:
        return round(statistics.median(s["broker_ms_per_workflow"] for run in runs[mode]
                                       for s in run["steps"][-settled_steps:]), 2)
    full, c1 = median("full"), median("c1")
    return {"settled_steps": settled_steps, "broker_ms_per_workflow": {"full": full, "c1": c1},
            "full_to_c1": round(full / c1, 2),
            "first_step_broker_ms_per_workflow": {
                m: [run["steps"][0]["broker_ms_per_workflow"] for run in runs[m]] for m in runs}}


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser(__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=7)
    parser.add_argument("--step-s", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    base_port = throughput.claim_port_block()
    runs: dict[str, list[dict]] = {"full": [], "c1": []}
    for _ in range(args.rounds):
        for mode in ("full", "c1"):
            runs[mode].append(one_stack(base_port, mode == "full", args.steps, args.step_s,
                                        args.clients))
    result = {"settings": vars(args) | {"out": str(args.out)}, "workflow": vars(WORKFLOW),
              "runs": runs, "summary": summarise(runs, settled_steps=max(1, args.steps - 4))}
    print(json.dumps(result["summary"], indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
