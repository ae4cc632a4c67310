"""Idle burn: CPU per second of every process, and PostgreSQL commits per second, of the
whole stack doing nothing (no clients), measured over a long window so one clock tick does
not dominate (the throughput benchmark's calibration measures only 5 s).

    python -m bench.idle [--seconds 60] [--settle-s 15] [--out FILE.json]

Starts its own stack (port block 30500, fresh /tmp/bench-idle-* directory, test settings),
lets it settle (topics created, consumers joined), then measures. Not part of the suite."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from bench import cli, measure, procstat
from bench.throughput import service_roots
from devstack import ports
from devstack.supervisor import Stack

BASE_PORT = 30500


def claim_port_block() -> int:
    if not ports.claim_block(BASE_PORT):
        raise RuntimeError(f"another idle run holds port block {BASE_PORT}")
    return BASE_PORT


async def measure_idle(stack: Stack, seconds: float) -> dict:
    await asyncio.sleep(1.5)  # pg_stat flushes about once a second
    commits0, cpu0, t0 = await measure.pg_commits(stack.cfg), procstat.cpu_ms(
        service_roots(stack)), time.monotonic()
    await asyncio.sleep(seconds)
    cpu = procstat.delta(procstat.cpu_ms(service_roots(stack)), cpu0)
    elapsed = time.monotonic() - t0
    commits = await measure.pg_commits(stack.cfg) - commits0
    per_s = {k: round(v / elapsed, 1) for k, v in sorted(cpu.items())}
    return {"seconds": round(elapsed, 1), "cpu_ms_per_s": per_s,
            "cpu_ms_per_s_total": round(sum(per_s.values()), 1),
            "pg_commits_per_s": round(commits / elapsed, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser(__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--settle-s", type=float, default=15.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    data_dir = cli.stack_dir("idle")
    with Stack(cli.stack_config(data_dir, claim_port_block())) as stack:
        stack.start_infrastructure()
        stack.start_services()
        time.sleep(args.settle_s)
        result = asyncio.run(measure_idle(stack, args.seconds))
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
