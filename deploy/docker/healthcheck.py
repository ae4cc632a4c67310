#!/usr/bin/env python3
"""Container healthcheck for the service images: exit 0 if GET <path> on the service answers
200 within the timeout, 1 otherwise.

    healthcheck [/readyz]          # the image's HEALTHCHECK and docker-compose.yml use this

The port is the container's one `<PREFIX>_HTTP_PORT` variable (every service reads its port
from it), or HEALTHCHECK_PORT when set. Standard library only: the image has no curl."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def service_port() -> str:
    if os.environ.get("HEALTHCHECK_PORT"):
        return os.environ["HEALTHCHECK_PORT"]
    ports = {value for key, value in os.environ.items() if key.endswith("_HTTP_PORT")}
    if len(ports) != 1:
        sys.exit(f"healthcheck: expected one *_HTTP_PORT variable, found {sorted(ports)}; "
                 "set HEALTHCHECK_PORT")
    return ports.pop()


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/readyz"
    url = f"http://127.0.0.1:{service_port()}{path}"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
