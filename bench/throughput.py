"""Throughput benchmark: the whole system against a skeleton baseline measured in the same
run on the same machine (see docs/capacity.md for how to read it).

    python -m bench.throughput [--levels 2,4,8,16,32] [--step-s 20] [--warm-up-s 120] [--profile]
                               [--replicas audit,notifier] [--out bench/results]

Starts its own stack (port block 30000, fresh /tmp directory, test settings: PostgreSQL
without fsync, access tokens valid for the whole run; the broker with the JVM's full JIT, as
in production), warms it up for --warm-up-s at the highest level, then:
  1. calibrates: counts what one real workflow costs in HTTP requests, PostgreSQL commits
     and Kafka records (bench/measure.py);
  2. runs the real workflow (bench/workflow.py) at each concurrency level, stopping when
     errors reach 0.1 % or the workflow p99 passes --max-p99-s;
  3. optionally: py-spy flame graphs of the busiest services under load, and a step with a
     second replica of the named services (same consumer groups, more partitions' owners);
  4. stops the services and runs the skeleton baseline with the calibrated counts
     (bench/skeleton.py) at each level, on the same broker and PostgreSQL.
Writes report.json and PNG plots to --out."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import socket
import time
from pathlib import Path

import httpx

from bench import cli, measure, procstat, report, runner, workflow
from bench.listing import listing
from bench.profile import flame_graphs
from bench.skeleton_load import Counts
from bench.skeleton_load import run_step as skeleton_step
from devstack import ports
from devstack.component import ProcessComponent, http_ready, python_process
from devstack.config import REPO_ROOT, StackConfig
from devstack.services import ServiceSpec
from devstack.supervisor import Stack

MAX_ERROR_RATE = 0.001
BASE_PORT = 30000
IDLE_CPU: dict[str, float] = {}  # ms per second each process burns with no load


def service_roots(stack: Stack) -> dict[str, int]:
    roots = {n: c.process.pid for n, c in stack.services.items() if c.running()}
    roots["kafka"] = stack.kafka.process.pid
    roots |= {n: pid for n, s in stack.pg.items() if (pid := s.postmaster_pid())}
    if stack.mailsink.running():
        roots["mailsink"] = stack.mailsink.process.pid
    return {n: p for n, p in roots.items() if p}


def long_tokens(stack: Stack) -> None:
    """Access tokens outlive the run (the clients log in once)."""
    spec = stack.specs["identity"]
    stack.specs["identity"] = dataclasses.replace(
        spec, env={**spec.env, "IDENTITY_TOKEN_TTL_S": "7200"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add_replicas(stack: Stack, names: list[str]) -> list[str]:
    added = []
    for name in names:
        spec = stack.specs[name]
        port = free_port()
        env = {k: (str(port) if k.endswith("_HTTP_PORT") else v) for k, v in spec.env.items()}
        stack.specs[f"{name}-2"] = ServiceSpec(f"{name}-2", spec.module, port, env)
        added.append(f"{name}-2")
    return added


async def _counters(stack: Stack, urls: dict[str, str]
                    ) -> tuple[dict, int, tuple[dict[str, int], dict[str, int]]]:
    return (await measure.http_requests(urls), await measure.pg_commits(stack.cfg),
            await measure.kafka_records_by_name(stack.cfg.kafka_bootstrap,
                                                stack.cfg.kafka_auth().client_options()))


def _per_workflow(after: dict[str, int], before: dict[str, int], n: int) -> dict[str, float]:
    """What each topic or group gained during the run, per workflow (zeros left out)."""
    gained = {k: (v - before.get(k, 0)) / n for k, v in sorted(after.items())}
    return {k: round(v, 2) for k, v in gained.items() if v}


PG_STAT_LAG_S = 11.0


async def calibrate(stack: Stack, people: workflow.People, seconds: float,
                    settle_s: float = PG_STAT_LAG_S, idle_s: float = 10.0
                    ) -> tuple[Counts, dict]:
    """What one workflow costs, net of what the system does when idle (relays' fallback
    polls, consumers' polls): an idle period of the same length is measured first."""
    urls = {n: s.url for n, s in stack.specs.items() if n in stack.services}
    # An idle backend flushes its commit counts to pg_stat up to 10 s late
    # (PGSTAT_IDLE_INTERVAL), so a shorter settle or window miscounts the idle rate (it made
    # the commits per workflow come out negative, and the skeleton commit nothing).
    await asyncio.sleep(settle_s)
    http0, commits0, kafka0 = await _counters(stack, urls)
    cpu0 = procstat.cpu_ms(service_roots(stack))
    await asyncio.sleep(idle_s)
    idle_cpu = procstat.delta(procstat.cpu_ms(service_roots(stack)), cpu0)
    _, commits_idle, _ = await _counters(stack, urls)
    idle_rate = (commits_idle - commits0) / idle_s
    t0, since = time.monotonic(), await measure.db_now(stack.cfg)
    result = await workflow.run_step(people, 2, seconds)
    await asyncio.sleep(settle_s)  # asynchronous tail, and pg_stat's late flush
    busy_s = time.monotonic() - t0
    http1, commits1, kafka1 = await _counters(stack, urls)
    consumer_commits = await measure.consumer_transactions(stack.cfg, since)
    if not result.completed:
        raise RuntimeError(f"no workflow completed: {result.error_kinds}")
    n = result.completed
    served = {k: (http1[k] - http0.get(k, 0)) / n for k in http1}
    raw = {"workflows": n,
           "gateway_requests": result.requests / n,
           "http_served_per_service": {k: round(v, 2) for k, v in served.items()},
           "pg_commits": (commits1 - commits_idle - idle_rate * busy_s) / n,
           "pg_commits_idle_per_s": idle_rate,
           # Of those, the consumers' (the rest: requests, relays, senders).
           "pg_commits_consumers": consumer_commits / n,
           "idle_cpu_ms_per_s": {k: round(v / idle_s, 1) for k, v in sorted(idle_cpu.items())},
           "kafka_produced": (sum(kafka1[0].values()) - sum(kafka0[0].values())) / n,
           "kafka_consumed": (sum(kafka1[1].values()) - sum(kafka0[1].values())) / n,
           "kafka_produced_by_topic": _per_workflow(kafka1[0], kafka0[0], n),
           "kafka_consumed_by_group": _per_workflow(kafka1[1], kafka0[1], n)}
    # Served upstream beyond what the gateway forwarded = service-to-service calls.
    internal = sum(served.values()) - 2 * raw["gateway_requests"]
    counts = Counts(round(raw["gateway_requests"]), max(round(internal), 0),
                    max(round(raw["pg_commits"]), 0), round(raw["kafka_consumed"]),
                    max(round(raw["pg_commits_consumers"]), 1))
    return counts, raw | {"skeleton": dataclasses.asdict(counts)}


def skeleton_processes(stack: Stack, counts: Counts) -> dict[str, ProcessComponent]:
    cfg, logs = stack.cfg, stack.cfg.data_dir / "logs"
    backend_port, proxy_port = cfg.port(8090), cfg.port(8091)
    dsn = cfg.database_url("platform", "scratch")
    roles = {"skeleton-backend": ["backend", "--port", str(backend_port), "--dsn", dsn,
                                  "--kafka", cfg.kafka_bootstrap, "--records-per-commit",
                                  str(counts.records_per_commit())],
             "skeleton-proxy": ["proxy", "--port", str(proxy_port), "--backend",
                                f"http://127.0.0.1:{backend_port}"]}
    port_of = {"skeleton-backend": backend_port, "skeleton-proxy": proxy_port}
    admin = cfg.kafka_auth()  # the stack's admin: the skeleton is no service with a principal
    login = {"SKELETON_KAFKA_USERNAME": admin.username, "SKELETON_KAFKA_PASSWORD": admin.password}
    return {name: ProcessComponent(
        python_process(name, stack.python, ["bench.skeleton", *args], logs / f"{name}.log",
                       env=login, cwd=REPO_ROOT, stop_timeout=10),
        http_ready(f"http://127.0.0.1:{port_of[name]}/openapi.json"), "serving",
        ports=[port_of[name]], ready_timeout=60) for name, args in roles.items()}


async def baseline(stack: Stack, counts: Counts, levels: list[int], step_s: float) -> list[dict]:
    procs = skeleton_processes(stack, counts)
    for p in procs.values():
        p.launch()
    for p in procs.values():
        p.wait_ready(60)
    roots = {n: p.process.pid for n, p in procs.items()} | {
        "kafka": stack.kafka.process.pid, "pg-platform": stack.pg["pg-platform"].postmaster_pid()}
    proxy = f"http://127.0.0.1:{stack.cfg.port(8091)}"
    dsn = stack.cfg.database_url("platform", "scratch").replace("+psycopg", "")
    steps = []
    try:
        await skeleton_step(proxy, counts, 2, 2.0, dsn)  # warm-up
        for level in levels:
            latencies: list[float] = []

            async def load(level=level, latencies=latencies):
                result, lat = await skeleton_step(proxy, counts, level, step_s, dsn)
                latencies.extend(lat)
                return result
            _, figures = await runner.measured(lambda: roots, None, load)
            figures |= {"concurrency": level, "round_trip_s": measure.percentiles(latencies)}
            steps.append(figures)
            print(report.step_line("skeleton", figures), flush=True)
            if runner.broken(figures, MAX_ERROR_RATE, 10.0):
                break
    finally:
        for p in procs.values():
            p.stop()
    return steps


async def real_step(stack: Stack, people: workflow.People, level: int, step_s: float,
                    label: str = "system") -> dict:
    holder: list[workflow.StepResult] = []

    async def load():
        holder.append(await workflow.run_step(people, level, step_s))
        return holder[0]
    _, figures = await runner.measured(lambda: service_roots(stack),
                                       stack.cfg.data_dir / "logs", load, IDLE_CPU)
    ids = holder[0].message_ids
    figures |= {"concurrency": level,
                "submit_to_inbox_s": measure.percentiles(
                    await measure.submit_to_inbox_s(stack.cfg, ids)),
                "answer_to_patient_s": measure.percentiles(
                    await measure.answer_to_patient_s(stack.cfg, ids))}
    print(report.step_line(label, figures), flush=True)
    return figures


async def system(stack: Stack, args, counts_out: dict, restart: bool) -> dict:
    """The real system's steps, then the skeleton's. `restart`: stop the services before
    the skeleton runs, so it has the machine to itself (the smoke test runs it beside them
    instead)."""
    gateway = stack.specs["gateway"].url
    async with httpx.AsyncClient(base_url=gateway, timeout=30,
                                 limits=httpx.Limits(max_connections=200)) as http:
        people = await workflow.log_in_everyone(http)
        # Warm-up, not measured: caches and pools fill, and the broker's JIT compiles its
        # hot paths. Under load its compiler threads take 90-190 ms of CPU a second at
        # first and settle near 5 within two minutes: without the warm-up that work would
        # fall on the first steps (bench/results/perf11).
        await workflow.run_step(people, max(args.levels), args.warm_up_s)
        counts, raw = await calibrate(stack, people, args.calibrate_s, args.settle_s,
                                      args.idle_s)
        counts_out |= raw
        IDLE_CPU.update(raw["idle_cpu_ms_per_s"])
        print(f"one workflow: {raw}", flush=True)
        steps: list[dict] = []
        for level in args.levels:
            steps.append(await real_step(stack, people, level, args.step_s))
            if runner.broken(steps[-1], MAX_ERROR_RATE, args.max_p99_s):
                break
        best = runner.sustained(steps, MAX_ERROR_RATE) or steps[-1]
        extra: dict = {}
        if args.profile:
            extra["flame_graphs"] = await flame_graphs(
                stack, lambda: real_step(stack, people, best["concurrency"], args.step_s,
                                         "profiled"), args.out, service_roots(stack))
        if args.replicas:
            names = add_replicas(stack, args.replicas)
            try:
                stack.start_services(names)
                extra["replicas"] = {"services": names, "step": await real_step(
                    stack, people, best["concurrency"], args.step_s, "replicas")}
            except Exception as exc:  # noqa: BLE001 - the rest of the report still counts
                extra["replicas"] = {"services": names, "failed": repr(exc)[:300]}
    if restart:
        stack.stop_services()
    skeleton = await baseline(stack, counts, args.levels, args.step_s)
    if args.listing:
        extra["listing"] = await listing(stack.cfg.database_url("careunit", "careunit_mailbox"))
        print(f"listing p99 growth 1k -> 100k: {extra['listing']['p99_ratio_largest_to_smallest']}")
    return {"skeleton_steps": skeleton, "steps": steps, **extra}


def claim_port_block() -> int:
    if not ports.claim_block(BASE_PORT):
        raise RuntimeError(f"another benchmark holds port block {BASE_PORT}")
    return BASE_PORT


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = cli.parser(__doc__)
    parser.add_argument("--levels", type=lambda s: [int(x) for x in s.split(",")],
                        default=[2, 4, 8, 16, 32])
    parser.add_argument("--step-s", type=float, default=20.0)
    parser.add_argument("--warm-up-s", type=float, default=120.0)
    parser.add_argument("--calibrate-s", type=float, default=8.0)
    # Shorter than the defaults miscounts commits per workflow (pg_stat's late flush): only
    # for a run whose figures are not read, such as the smoke test's.
    parser.add_argument("--settle-s", type=float, default=PG_STAT_LAG_S)
    parser.add_argument("--idle-s", type=float, default=10.0)
    parser.add_argument("--max-p99-s", type=float, default=5.0)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-listing", dest="listing", action="store_false",
                        help="leave out the inbox listing at 1k/10k/100k messages")
    parser.add_argument("--replicas", type=lambda s: [x for x in s.split(",") if x], default=[])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results")
    return parser.parse_args(argv)


def run(stack: Stack, args: argparse.Namespace, restart: bool = True) -> dict:
    """On a stack whose infrastructure runs (services are started here if they are not)."""
    uptime = report.uptime()
    if restart:
        long_tokens(stack)
        stack.start_services()
    counts: dict = {}
    figures = asyncio.run(system(stack, args, counts, restart)) | {"uptime_before": uptime}
    result = report.build(figures, counts, args)
    report.write(result, args.out)
    return result


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    data_dir = cli.stack_dir("throughput")
    cfg: StackConfig = cli.stack_config(data_dir, claim_port_block())
    with Stack(cfg) as stack:
        stack.start_infrastructure()
        print(report.summary(run(stack, args)))


if __name__ == "__main__":
    main()
