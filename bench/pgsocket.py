"""CPU per PostgreSQL transaction over TCP on 127.0.0.1 (what the local stack's services use)
and over the server's Unix socket, on one throw-away server of a stack on port block 31700:
the client's CPU (this process) and the server backend's (from /proc), for a transaction of
three round trips (BEGIN, a one-row SELECT with a parameter, COMMIT), the two ways in turn,
round by round; the figures are the medians of the rounds.

In the profiles of the busy mailboxes most of the CPU is sending statements and waiting for
their answers (libpq's send, the event loop's receive), much of it the kernel's loopback
TCP; this measures how much of that a local socket would spare (docs/capacity.md).

    python -m bench.pgsocket [--rounds 5] [--transactions 2000] [--out DIR]"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import psycopg

from bench import alternate, cli
from devstack.config import test_config
from devstack.postgres import PostgresServer

BASE_PORT = 31700


def _backend_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


async def _per_transaction(connect: dict, transactions: int) -> dict[str, float]:
    async with await psycopg.AsyncConnection.connect(**connect) as conn:
        backend = (await (await conn.execute("SELECT pg_backend_pid()")).fetchone())[0]
        await conn.commit()
        started, backend_started = time.process_time(), _backend_cpu_s(backend)
        for i in range(transactions):
            async with conn.transaction():
                await (await conn.execute("SELECT %s::int + 1", (i,))).fetchone()
        return {"client_us": (time.process_time() - started) / transactions * 1e6,
                "server_us": (_backend_cpu_s(backend) - backend_started) / transactions * 1e6}


async def _rounds(tcp: dict, socket: dict, rounds: int, transactions: int) -> list[dict]:
    return [{"tcp": await _per_transaction(tcp, transactions),
             "unix_socket": await _per_transaction(socket, transactions)}
            for _ in range(rounds)]


def main() -> None:
    parser = cli.parser(__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    cfg = test_config(cli.stack_dir("pgsocket"), base_port=BASE_PORT)
    server = PostgresServer(cfg, cfg.pg_servers[0])
    server.start()  # creates the cluster and writes its settings first
    try:
        database = server.server.databases[0]  # its owner role has its name
        login = {"user": database, "password": cfg.db_password, "dbname": database}
        samples = asyncio.run(_rounds(
            {**login, "host": "127.0.0.1", "port": server.port},
            {**login, "host": str(server.socket_dir), "port": server.port},
            args.rounds, args.transactions))
    finally:
        server.stop()
    medians = alternate.median(samples, 1)
    alternate.save(args.out, "pgsocket.json", {
        "rounds": args.rounds, "transactions": args.transactions,
        "unit": "microseconds of CPU per transaction of three round trips (median of rounds)",
        "per_transaction": medians,
        "ratio_to_tcp": {k: round(medians["unix_socket"][k] / medians["tcp"][k], 2)
                         for k in ("client_us", "server_us")},
        "rounds_seen": samples})


if __name__ == "__main__":
    main()
