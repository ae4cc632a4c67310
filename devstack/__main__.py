"""python -m devstack up     the whole system (Kafka, PostgreSQL, mail sink, every service)
python -m devstack up --no-demo   without loading the demo data (devstack/demo.py; also
                          DEVSTACK_DEMO=0)
python -m devstack up --regions 2   also Västra Götalandsregionen beside Region Stockholm,
                          on the same broker (docs/regions.md)
python -m devstack infra  only Kafka, PostgreSQL and the mail sink
python -m devstack jars   resolve the Kafka jars with Maven (scripts/bootstrap uses it)

The stack runs in the foreground until Ctrl-C (SIGINT) or SIGTERM, then stops cleanly.
Data (databases, Kafka log, mail) stays in .devstack/ and is reused by the next run."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from devstack.config import dev_config, other_region
from devstack.procs import StackError, tail
from devstack.supervisor import Stack, format_rss


class _Interrupted(Exception):
    pass


def _raise_interrupt(signum, frame) -> None:
    raise _Interrupted(signal.Signals(signum).name)


def _print_urls(stack: Stack, services: bool) -> None:
    cfg = stack.cfg
    lines = ["", f"Region {cfg.region} is running (data in {cfg.data_dir}):"]
    if services:
        lines.append(f"  {'web UI (gateway)':<22} {stack.specs['gateway'].url}/")
        for name, spec in stack.specs.items():
            if name != "gateway":
                lines.append(f"  {name:<22} {spec.url}")
    lines += [] if not cfg.runs_shared_infra else [
        f"  {'mail sink (browser)':<22} http://127.0.0.1:{cfg.mailsink_http_port}/",
        f"  {'mail sink (SMTP)':<22} 127.0.0.1:{cfg.smtp_port}",
        (f"  {'Kafka bootstrap':<22} {cfg.kafka_bootstrap}  SASL_PLAINTEXT, SCRAM-SHA-512, "
        f"user {cfg.KAFKA_ADMIN} (password: {cfg.kafka_password(cfg.KAFKA_ADMIN)})"),
    ]
    for name, srv in stack.pg.items():
        lines.append(
            f"  {'PostgreSQL ' + srv.server.name:<22} 127.0.0.1:{srv.port} "
            f"(socket in {cfg.pg_socket_dir})  "
            f"databases/users: {', '.join(srv.server.databases)} (password: {cfg.db_password})"
        )
    lines += [f"  {'logs':<22} {stack.logs_dir}/", ""]
    print("\n".join(lines), flush=True)


def _load_demo(stack: Stack) -> None:
    """A living system for a new user; a failure is reported and the stack keeps running."""
    from devstack.demo import run as load_demo

    print("Loading demo data (--no-demo skips it) ...", flush=True)
    try:
        print(load_demo(stack.specs["gateway"].url, environment=stack.cfg.environment),
              flush=True)
    except _Interrupted:
        raise  # Ctrl-C while loading stops the stack as at any other time
    except Exception as exc:  # noqa: BLE001 - the stack is still useful without the demo
        print(f"devstack: WARNING: demo data not loaded: {exc}", file=sys.stderr, flush=True)


def _run(services: bool, regions: int = 1, demo: bool = False) -> int:
    first = dev_config()
    stacks = [Stack(first)] + [Stack(other_region(first)) for _ in range(regions - 1)]
    previous = {s: signal.signal(s, _raise_interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    reported: set[tuple[str, str]] = set()
    return_code = 0
    try:
        for stack in stacks:
            if services:
                stack.check_modules()  # before starting anything
            stack.start_infrastructure()  # the first region's Kafka before the others
        for stack in stacks:
            if services:
                stack.start_services()
            _print_urls(stack, services)
            print("Resident memory:\n" + format_rss(stack.rss_report()), flush=True)
        if services and demo:
            _load_demo(stacks[0])
        print("Ctrl-C stops everything.", flush=True)
        while True:
            time.sleep(2)
            for stack in stacks:
                for name in stack.dead_processes():
                    if (stack.cfg.region, name) not in reported:
                        reported.add((stack.cfg.region, name))
                        print(
                            f"\ndevstack: WARNING: {stack.cfg.region} {name} exited; last "
                            f"lines of its log:\n{tail(stack.log_path(name), 20)}\n",
                            file=sys.stderr,
                            flush=True,
                        )
    except _Interrupted as sig:
        print(f"\ndevstack: {sig}: stopping ...", file=sys.stderr, flush=True)
    except StackError as exc:
        print(f"\ndevstack: ERROR: {exc}", file=sys.stderr, flush=True)
        return_code = 1
    finally:
        # Stopping takes a few seconds (Kafka's controlled shutdown): don't let a second
        # Ctrl-C leave half the stack running.
        for s in previous:
            signal.signal(s, signal.SIG_IGN)
        for stack in reversed(stacks):  # the region with the broker last
            try:
                stack.stop()
            except Exception as exc:  # noqa: BLE001 - reported, then the rest goes on
                print(f"devstack: error while stopping: {exc}", file=sys.stderr, flush=True)
                return_code = 1
        for s, handler in previous.items():
            signal.signal(s, handler)
    stopped = sum(s.timings.get("stop", 0) for s in stacks)
    print(f"devstack: stopped in {stopped:.1f}s", file=sys.stderr, flush=True)
    return return_code


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m devstack", description=__doc__.split("\n")[0])
    p.add_argument("command", choices=["up", "infra", "jars"])
    p.add_argument("--regions", type=int, choices=[1, 2], default=1,
                   help="2: also a second region on the same broker (docs/regions.md)")
    p.add_argument("--no-demo", action="store_true",
                   help="do not load the demo data (also DEVSTACK_DEMO=0)")
    args = p.parse_args(argv)
    if args.command == "jars":
        from devstack.kafka import main as jars_main

        jars_main()
        return 0
    demo = not args.no_demo and os.environ.get("DEVSTACK_DEMO", "1") != "0"
    return _run(services=args.command == "up", regions=args.regions, demo=demo)


if __name__ == "__main__":
    sys.exit(main())
