"""The full-size fault suite on its own fresh stack (not part of the default test run):

    .venv/bin/python -m tests.faults [--messages 10000] [--clients 16] [--seed N]
                                     [--max-rounds N] [--out fault-suite.json]

Prints the seed, each fault with its recovery time and every guarantee that does not hold;
writes the whole report as JSON; exits 1 when a guarantee does not hold."""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

from devstack.config import test_config
from devstack.supervisor import Stack
from tests.faults import suite
from tests.stackfixtures import _claim_port_block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--max-rounds", type=int, default=None,
                        help="at most this many fault rounds (default: until 90%% of the "
                             "messages are acknowledged)")
    parser.add_argument("--seed", type=int, default=random.SystemRandom().randrange(2**31))
    parser.add_argument("--out", type=Path, default=Path("fault-suite.json"))
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="devstack-faults-"))
    data_dir.chmod(0o755)  # the postgres user needs to reach pg/ inside it
    with Stack(test_config(data_dir, base_port=_claim_port_block())) as stack:
        stack.start_infrastructure()
        stack.start_services()
        report = suite.run(stack, seed=args.seed, target_messages=args.messages,
                           clients=args.clients, max_rounds=args.max_rounds)
    suite.write(report, args.out)
    print(suite.summary(report))
    print(f"report: {args.out}; logs: {data_dir}/logs")
    return 1 if suite.violations(report) else 0


if __name__ == "__main__":
    sys.exit(main())
