"""Before/after of the mailboxes' request and arrival paths: SQL statements, compiled-statement
cache misses, CPU (caller and PostgreSQL) and wall time per call of the care unit's list,
meta, open, assign and answer, the patient's submit, read and follow-up, each called through
the mailbox's own API function, and of the consumers' handlers of arriving messages and
answers (bench/mailbox_worker.py), on a real PostgreSQL (one server of a stack on port block
30800, fresh schemas per run).

The old code is an older commit's `services`, `shared`, `devstack` and `bench` extracted
with `git archive` (default: `main`); the new one is this tree, alternating round by round
(bench.alternate: one bench/mailbox_worker.py process per side and round); the figures are
the medians of the rounds.

    python -m bench.mailboxpaths [--before REV] [--rounds 5] [--calls 50] [--out DIR]"""

from __future__ import annotations

from pathlib import Path

from bench import alternate, cli

WORKER = alternate.ROOT / "bench" / "mailbox_worker.py"


def main() -> None:
    parser = cli.parser(__doc__)
    parser.add_argument("--before", default="main")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    old = alternate.extract(args.before, ("services", "shared", "devstack", "bench"))
    samples = alternate.postgres_run(30800, WORKER, [str(args.calls)], args.rounds, old)
    before, after = (alternate.median(samples[side]) for side in ("before", "after"))

    def cpu(side: dict, op: str) -> float:
        return side[op]["client_cpu_ms"] + side[op]["pg_cpu_ms"]

    alternate.save(args.out, "mailboxpaths.json", {
        "before_rev": args.before, "rounds": args.rounds, "calls": args.calls,
        "per_call": {op: {"before": before[op], "after": after[op],
                          "cpu_ratio": round(cpu(after, op) / cpu(before, op), 2)}
                     for op in before}})


if __name__ == "__main__":
    main()
