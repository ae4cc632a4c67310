"""Before/after of the mailboxes' request and arrival paths: SQL statements, compiled-statement
cache misses, CPU (caller and PostgreSQL) and wall time per call of the care unit's list,
meta, open, assign and answer, the patient's submit, read and follow-up, each called through
the mailbox's own API function, and of the consumers' handlers of arriving messages and
answers (bench/mailbox_worker.py), on a real PostgreSQL (one server of a stack on port block
30800, fresh schemas per run).

The old code is an older commit's `services`, `shared`, `devstack` and `bench` extracted
with `git archive` (default: `main`); the new one is this tree. Each round runs one worker
process per side (bench/mailbox_worker.py, the same file for both), the two alternating, so
load from elsewhere on the machine hits both alike; the figures are the medians of the
rounds.

    python -m bench.mailboxpaths [--before REV] [--rounds 5] [--calls 50] [--out DIR]"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from devstack.config import test_config
from devstack.supervisor import Stack

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "bench" / "mailbox_worker.py"


def extract(rev: str) -> Path:
    tree = Path(tempfile.mkdtemp(prefix="bench-mailboxpaths-before-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "services", "shared",
                              "devstack", "bench"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def run_worker(tree: Path, url: str, pg_pid: int, calls: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, str(WORKER), url, str(pg_pid), str(calls)],
                         cwd=tree, env=env, check=True, capture_output=True, text=True)
    found = json.loads(out.stdout)
    assert Path(found["tree"]).parent == tree, found["tree"]  # the code meant to be measured
    return found["ops"]


def median(samples: list[dict]) -> dict:
    return {op: {k: round(sorted(s[op][k] for s in samples)[len(samples) // 2], 3)
                 for k in samples[0][op]} for op in samples[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="main")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    old = extract(args.before)
    data_dir = Path(tempfile.mkdtemp(prefix="bench-mailboxpaths-"))
    data_dir.chmod(0o755)  # the postgres user needs to reach pg/ inside it
    cfg = test_config(data_dir, base_port=30800)
    samples: dict[str, list[dict]] = {"before": [], "after": []}
    with Stack(cfg) as stack:
        stack.start_service("pg-platform")
        pid = stack.pg["pg-platform"].postmaster_pid()
        assert pid is not None
        url = cfg.database_url("platform", "scratch")
        for i in range(args.rounds):
            for side, tree in (("before", old), ("after", ROOT)):
                samples[side].append(run_worker(tree, url, pid, args.calls))
            print(f"round {i + 1}/{args.rounds} done", file=sys.stderr)
    before, after = median(samples["before"]), median(samples["after"])
    result = {"before_rev": args.before, "rounds": args.rounds, "calls": args.calls,
              "per_call": {op: {"before": before[op], "after": after[op],
                                "cpu_ratio": round(
                                    (after[op]["client_cpu_ms"] + after[op]["pg_cpu_ms"])
                                    / (before[op]["client_cpu_ms"] + before[op]["pg_cpu_ms"]),
                                    2)}
                           for op in before}}
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "mailboxpaths.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
