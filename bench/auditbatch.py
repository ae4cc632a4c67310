"""Before/after of the audit service's consumed batches (services.audit.batch and the
auditors' stream records through the outbox), on a real PostgreSQL started here: a fetched
batch of workflow events (bench.audit_workflow: 11 per message and answer, 2 of them staff
reads) applied in one inbox transaction, by the per-event handler (store.append for each)
and by the batch handler (one append_batch), with the service's own chain (signing, facts,
review selection, the auditors' stream through the outbox, a checkpoint every 1000 records).

The old code is an older commit's `services`, `shared` and `bench` extracted with `git
archive` (default: `main`); the new one is this tree, alternating round by round
(bench.alternate: one bench/auditbatch_worker.py process per side and round). Batches of 1,
10 and 50 events; per event: SQL statements sent (BEGIN and COMMIT not counted), compiled
cache misses, CPU of the audit process and of the PostgreSQL server (from /proc), wall time.
Medians over the rounds.

    python -m bench.auditbatch [--before REV] [--rounds 8] [--out bench/results/perf6]"""

from __future__ import annotations

from pathlib import Path

from bench import alternate, cli

WORKER = alternate.ROOT / "bench" / "auditbatch_worker.py"


def main() -> None:
    parser = cli.parser(__doc__)
    parser.add_argument("--before", default="main")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--base-port", type=int, default=31800,
                        help="port block of its PostgreSQL (away from the tests' blocks)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    old = alternate.extract(args.before, ("services", "shared", "bench"))
    samples = alternate.postgres_run(args.base_port, WORKER, [], args.rounds, old)
    alternate.save(args.out, "auditbatch.json", {
        "before_rev": args.before, "rounds": args.rounds,
        "unit": "per event; CPU and wall in ms",
        "per_event": alternate.compare(samples, ("audit_cpu_ms", "pg_cpu_ms")), "samples": samples})


if __name__ == "__main__":
    main()
