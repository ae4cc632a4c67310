"""Before/after of the request path itself (issue 13): CPU per request through the whole
ASGI stack of a plain service (shared.web: a JSON POST with a body model, /healthz) and of
the gateway (a proxied GET to a fake upstream, the start page, a static file), with no
server or sockets in between, so what changes is the middleware and the framework's work.

The old code is an older commit's `services` and `shared` extracted with `git archive`
(default: `main`); the new one is this tree, alternating round by round (bench.alternate:
one bench/reqpath_worker.py process per side and round); the figures are the medians of the
rounds.

    python -m bench.reqpath [--before REV] [--rounds 7] [--calls 2000] [--out DIR]"""

from __future__ import annotations

from pathlib import Path

from bench import alternate, cli

WORKER = alternate.ROOT / "bench" / "reqpath_worker.py"


def main() -> None:
    parser = cli.parser(__doc__)
    parser.add_argument("--before", default="main")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    samples = alternate.alternate(WORKER, [str(args.calls)], args.rounds,
                                  before=alternate.extract(args.before))
    before, after = (alternate.median(samples[side], 1) for side in ("before", "after"))
    alternate.save(args.out, "reqpath.json", {
        "before_rev": args.before, "rounds": args.rounds, "calls": args.calls,
        "unit": "microseconds per request (CPU of the one process; wall)",
        "per_call": {op: {"before": before[op], "after": after[op],
                          "cpu_ratio": round(after[op]["cpu_us"] / before[op]["cpu_us"], 2)}
                     for op in before}})


if __name__ == "__main__":
    main()
