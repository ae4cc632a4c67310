#!/usr/bin/env python3
"""Wait until every HOST:PORT takes TCP connections, then exec the command:

    wait-for kafka:9092 pg-platform:5432 -- python -m services.identity

docker-compose.yml starts each service with it, so a service does not crash-loop while Kafka
or its database is still starting (podman-compose starts containers in depends_on order but
cannot wait for them to be healthy). Gives up after WAIT_FOR_TIMEOUT seconds (default 600)
and runs the command anyway: the service's own start-up then reports what is missing.
Standard library only."""

from __future__ import annotations

import os
import socket
import sys
import time


def reachable(target: str) -> bool:
    host, _, port = target.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=3):
            return True
    except OSError:
        return False


def main(argv: list[str]) -> None:
    if "--" not in argv:
        sys.exit("usage: wait-for HOST:PORT... -- COMMAND...")
    split = argv.index("--")
    targets, command = argv[:split], argv[split + 1:]
    deadline = time.monotonic() + float(os.environ.get("WAIT_FOR_TIMEOUT", "600"))
    pending = list(targets)
    while pending and time.monotonic() < deadline:
        pending = [t for t in pending if not reachable(t)]
        if pending:
            time.sleep(2)
    if pending:
        print(f"wait-for: still unreachable: {', '.join(pending)}", file=sys.stderr)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
