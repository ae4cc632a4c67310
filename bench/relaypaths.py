"""Before/after of the outbox relay's batch (shared.outbox_relay, formerly in shared.outbox):
statements, transactions, CPU (the relay's process and its PostgreSQL backend) and wall time
per batch of 0 (an empty poll), 1, 10 and 50 rows, back to back (`busy`) and a second or more
apart (`quiet`), on a real PostgreSQL started here; see bench/relay_worker.py.

The old code is an older commit's `shared` extracted with `git archive` (default: `main`);
the new one is this tree, alternating round by round (bench.alternate: one
bench/relay_worker.py process per side and round). Medians over the rounds.

    python -m bench.relaypaths [--before REV] [--rounds 8] [--out bench/results/perf6]"""

from __future__ import annotations

from pathlib import Path

from bench import alternate, cli

WORKER = alternate.ROOT / "bench" / "relay_worker.py"


def main() -> None:
    parser = cli.parser(__doc__)
    parser.add_argument("--before", default="main")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--base-port", type=int, default=31800,
                        help="port block of its PostgreSQL (away from the tests' blocks)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    old = alternate.extract(args.before, ("services", "shared"))
    samples = alternate.postgres_run(args.base_port, WORKER, [], args.rounds, old)
    alternate.save(args.out, "relaypaths.json", {
        "before_rev": args.before, "rounds": args.rounds,
        "unit": "per batch; CPU and wall in ms",
        "per_batch": alternate.compare(samples, ("relay_cpu_ms", "pg_cpu_ms")), "samples": samples})


if __name__ == "__main__":
    main()
