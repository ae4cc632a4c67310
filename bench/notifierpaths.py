"""Before/after of the notifier's per-event and per-mail paths: SQL statements, CPU (this
side's worker process and the PostgreSQL server, from /proc) and wall time per event
handled and per mail sent, on a real PostgreSQL (one server of a stack on port block 31400,
fresh schema per run) and a real SMTP server (aiosmtpd, its own process, not counted).

The old code is an older commit's `services`, `shared`, `devstack` and `bench` extracted
with `git archive` (default: where this branch left main); the new one is this tree. Each
round runs one worker process per side (bench/notifier_worker.py, the same file for both),
the two alternating and which goes first alternating too, so load from elsewhere on the
machine hits both alike; the figures are the medians of the rounds.

    python -m bench.notifierpaths [--before REV] [--rounds 7] [--calls 100] [--out DIR]"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench import cli
from bench.alternate import extract, median
from devstack.config import test_config
from devstack.supervisor import Stack

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "bench" / "notifier_worker.py"


def run_worker(tree: Path, url: str, pg_pid: int, smtp_port: int, calls: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, str(WORKER), url, str(pg_pid), str(smtp_port),
                          str(calls)], cwd=tree, env=env, check=True, capture_output=True,
                         text=True)
    found = json.loads(out.stdout)
    assert Path(found["tree"]).parent == tree, found["tree"]  # the code meant to be measured
    return found["ops"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smtp_sink(port: int) -> subprocess.Popen:
    sink = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-c",
                             "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return sink
        except OSError:
            time.sleep(0.1)
    sink.kill()
    raise RuntimeError("the SMTP sink did not start")


def main() -> None:
    parser = cli.parser(__doc__)
    parser.add_argument("--before", default=None, help="default: git merge-base HEAD main")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    before_rev = args.before or subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], check=True,
        capture_output=True, text=True).stdout.strip()
    old = extract(before_rev, ("services", "shared", "devstack", "bench"))
    data_dir = cli.stack_dir("notifierpaths")
    cfg = test_config(data_dir, base_port=31400)
    samples: dict[str, list[dict]] = {"before": [], "after": []}
    smtp_port = free_port()
    sink = smtp_sink(smtp_port)
    try:
        with Stack(cfg) as stack:
            stack.start_service("pg-platform")
            pid = stack.pg["pg-platform"].postmaster_pid()
            assert pid is not None
            url = cfg.database_url("platform", "scratch")
            for i in range(args.rounds):
                sides = [("before", old), ("after", ROOT)]
                for side, tree in sides if i % 2 == 0 else sides[::-1]:
                    samples[side].append(run_worker(tree, url, pid, smtp_port, args.calls))
                print(f"round {i + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        sink.terminate()
        sink.wait()
    before, after = median(samples["before"]), median(samples["after"])

    def cpu(side: dict) -> float:
        return side["client_cpu_ms"] + side["pg_cpu_ms"]
    result = {"before_rev": before_rev, "rounds": args.rounds, "calls": args.calls,
              "per_call": {op: {"before": before[op], "after": after[op],
                                "cpu_ratio": round(cpu(after[op]) / cpu(before[op]), 2)}
                           for op in before}}
    # A whole workflow: the three events and two mails.
    per_workflow = {side: round(sum(cpu(ops[op]) * (2 if op.startswith("mail") else 1)
                                    for op in ops), 3)
                    for side, ops in (("before", before), ("after", after))}
    result["cpu_ms_per_workflow"] = per_workflow
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "notifier.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
