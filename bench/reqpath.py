"""Before/after of the request path itself (issue 13): CPU per request through the whole
ASGI stack of a plain service (shared.web: a JSON POST with a body model, /healthz) and of
the gateway (a proxied GET to a fake upstream, the start page, a static file), with no
server or sockets in between, so what changes is the middleware and the framework's work.

The old code is an older commit's `services` and `shared` extracted with `git archive`
(default: `main`); the new one is this tree. Each round runs one worker process per side
(bench/reqpath_worker.py, the same file for both), the two alternating, so load from
elsewhere on the machine hits both alike; the figures are the medians of the rounds.

    python -m bench.reqpath [--before REV] [--rounds 7] [--calls 2000] [--out DIR]"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "bench" / "reqpath_worker.py"


def extract(rev: str) -> Path:
    tree = Path(tempfile.mkdtemp(prefix="bench-reqpath-before-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "services", "shared"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def run_worker(tree: Path, calls: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, str(WORKER), str(calls)], cwd=tree, env=env,
                         check=True, capture_output=True, text=True)
    found = json.loads(out.stdout)
    assert Path(found["tree"]).parent == tree, found["tree"]  # the code meant to be measured
    return found["ops"]


def median(samples: list[dict]) -> dict:
    return {op: {k: round(sorted(s[op][k] for s in samples)[len(samples) // 2], 1)
                 for k in samples[0][op]} for op in samples[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="main")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    old = extract(args.before)
    samples: dict[str, list[dict]] = {"before": [], "after": []}
    for i in range(args.rounds):
        for side, tree in (("before", old), ("after", ROOT)):
            samples[side].append(run_worker(tree, args.calls))
        print(f"round {i + 1}/{args.rounds} done", file=sys.stderr)
    before, after = median(samples["before"]), median(samples["after"])
    result = {"before_rev": args.before, "rounds": args.rounds, "calls": args.calls,
              "unit": "microseconds per request (CPU of the one process; wall)",
              "per_call": {op: {"before": before[op], "after": after[op],
                                "cpu_ratio": round(after[op]["cpu_us"] / before[op]["cpu_us"],
                                                   2)}
                           for op in before}}
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "reqpath.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
