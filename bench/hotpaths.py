"""Before/after of the hot-path changes, each measured in CPU time per call in one process,
the old and the new way alternating (so load from elsewhere on the machine hits both alike):

- opening a sealed item: the hybrid ML-KEM + X25519 private key expanded from its seed on
  every open (before) or kept expanded per process (after); sealing likewise for the public
  key;
- verifying an access token: ES256 + claims on every request (before) or remembered until
  it expires (after);
- the per-request log line: formatted as JSON at INFO for every request (before) or
  filtered out at DEBUG (after).

    python -m bench.hotpaths [--out bench/results]"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import time
from pathlib import Path

from bench.tokens import SIGNING, LocalVerifier, claims, sign
from shared import logs
from shared.crypto import sealing

ROUNDS = 300


def cpu_ms_per_call(fn, rounds: int = ROUNDS) -> float:
    started = time.process_time()
    for _ in range(rounds):
        fn()
    return (time.process_time() - started) * 1000 / rounds


def paired(before, after, repeats: int = 5) -> dict:
    b, a = [], []
    for _ in range(repeats):
        b.append(cpu_ms_per_call(before))
        a.append(cpu_ms_per_call(after))
    b_ms, a_ms = sorted(b)[len(b) // 2], sorted(a)[len(a) // 2]
    return {"before_ms": round(b_ms, 4), "after_ms": round(a_ms, 4),
            "ratio": round(a_ms / b_ms, 3) if b_ms else None}


def sealing_pair() -> dict:
    private = sealing.generate_private_key()
    public = sealing.public_bytes(private)
    binding = sealing.Binding("m", "c", "r")
    item = sealing.seal(b"x" * 2000, public_key=public, key_id="k", binding=binding)
    cached_private, cached_public = sealing._private, sealing._public
    uncached_private, uncached_public = cached_private.__wrapped__, cached_public.__wrapped__

    def uncached(fn):
        def call():
            sealing._private, sealing._public = uncached_private, uncached_public
            try:
                fn()
            finally:
                sealing._private, sealing._public = cached_private, cached_public
        return call

    def open_it():
        sealing.open_sealed(item, private_key=private, binding=binding)

    def seal_it():
        sealing.seal(b"x" * 2000, public_key=public, key_id="k", binding=binding)
    return {"open": paired(uncached(open_it), open_it),
            "seal": paired(uncached(seal_it), seal_it)}


def token_pair() -> dict:
    loop = asyncio.new_event_loop()
    verifier = LocalVerifier([SIGNING])
    token = sign(claims())
    loop.run_until_complete(verifier.verify(token))
    try:
        return paired(lambda: loop.run_until_complete(verifier._verify(token)),
                      lambda: loop.run_until_complete(verifier.verify(token)))
    finally:
        loop.close()


def log_pair() -> dict:
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logs.JsonFormatter("bench"))
    log = logging.getLogger("bench.hotpaths.request")
    log.handlers[:], log.propagate = [handler], False
    extra = {"method": "POST", "path": "/v1/messages/{message_id}/open", "status": 200,
             "duration_ms": 12.3}

    def at(level: int):
        def call():
            log.setLevel(logging.INFO)
            if log.isEnabledFor(level):
                log.log(level, "request", extra=extra)
        return call
    return paired(at(logging.INFO), at(logging.DEBUG))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    result = {"sealing": sealing_pair(), "token_verify": token_pair(),
              "request_log_line": log_pair()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hotpaths.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
