"""PostgreSQL servers of the local stack: one server process (own data directory and port)
per `PgServer` in the config, managed with Debian's binaries via initdb/pg_ctl.

PostgreSQL refuses to run as root, so as root every server command runs as the `postgres`
user (created by Debian's `postgresql` package) through `runuser -u postgres --`; as any
other user it runs as that user. Administration (roles, databases) goes through the unix
socket as the `postgres` superuser (trust, local only); every other role needs its password
(scram-sha-256), on the socket (where the services connect: StackConfig.database_url) as on
127.0.0.1."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from devstack.config import PgServer, StackConfig
from devstack.pg_os import PG_USER, as_root, chown, find_bindir
from devstack.procs import StackError, port_in_use, tail
from devstack.proctree import kill_tree, pid_alive, tree_rss_bytes

_INCLUDE_LINE = "include_if_exists = 'devstack.conf'"
# Written on every start, so a cluster made before keeps up.
_HBA = """# Written by devstack/postgres.py on every start.
# TYPE  DATABASE     USER      ADDRESS         METHOD
local   all          postgres                  trust
local   all          all                       scram-sha-256
host    all          all       127.0.0.1/32    scram-sha-256
host    all          all       ::1/128         scram-sha-256
local   replication  postgres                  trust
"""


class PostgresServer:
    """One PostgreSQL server process of the stack."""

    def __init__(self, cfg: StackConfig, server: PgServer, bindir: Path | None = None) -> None:
        self.cfg = cfg
        self.server = server
        self.name = f"pg-{server.name}"
        self.port = cfg.pg_port(server.name)
        self.root = cfg.data_dir / "pg"
        self.datadir = self.root / server.name
        self.socket_dir = cfg.pg_socket_dir
        self.log_path = cfg.data_dir / "logs" / f"{self.name}.log"
        self._bindir = bindir

    # -- helpers ---------------------------------------------------------------------------
    @property
    def bindir(self) -> Path:
        if self._bindir is None:
            self._bindir = find_bindir()
        return self._bindir

    def _cmd(self, tool: str, *args: str) -> list[str]:
        argv = [str(self.bindir / tool), *args]
        return ["runuser", "-u", PG_USER, "--", *argv] if as_root() else argv

    def _run(self, tool: str, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
        # cwd "/": runuser keeps the cwd, which the postgres user may not be able to enter.
        return subprocess.run(self._cmd(tool, *args), check=False, capture_output=True,
                              text=True, timeout=timeout, cwd="/")

    def _check_access(self) -> None:
        """The postgres user must be able to reach the data directory; a 0700 parent owned by
        root (e.g. pytest's tmp dirs) is the usual reason it cannot."""
        if not as_root():
            return
        probe = subprocess.run(
            ["runuser", "-u", PG_USER, "--", "test", "-w", str(self.root)],
            check=False,
            capture_output=True,
            cwd="/",
        )
        if probe.returncode != 0:
            raise StackError(
                f"{self.name}: user '{PG_USER}' cannot write {self.root}; every parent "
                f"directory of the stack's data dir must be searchable by other users "
                f"(chmod o+x), e.g. use a data dir under /tmp made with mode 0755"
            )

    # -- lifecycle -------------------------------------------------------------------------
    def init(self) -> bool:
        """Create the cluster unless it exists. Returns whether it was created."""
        for d in (self.root, self.socket_dir):
            d.mkdir(parents=True, exist_ok=True)
            chown(d)
        self.root.chmod(0o755)
        self._check_access()
        if (self.datadir / "PG_VERSION").is_file():
            return False
        self.datadir.mkdir(mode=0o700, exist_ok=True)
        chown(self.datadir)
        proc = self._run("initdb", "-D", str(self.datadir), "-U", PG_USER, "-E", "UTF8",
                         "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256",
                         "--no-instructions")
        if proc.returncode != 0:
            shutil.rmtree(self.datadir, ignore_errors=True)
            raise StackError(f"{self.name}: initdb failed:\n{proc.stdout}\n{proc.stderr}")
        return True

    def write_config(self) -> None:
        conf = self.datadir / "postgresql.conf"
        text = conf.read_text()
        if _INCLUDE_LINE not in text:
            conf.write_text(text.rstrip("\n") + f"\n\n# local stack settings\n{_INCLUDE_LINE}\n")
        lines = [
            f"# Written by devstack/postgres.py on every start ({self.cfg.environment}).",
            "listen_addresses = '127.0.0.1'",
            f"port = {self.port}",
            f"unix_socket_directories = '{self.socket_dir}'",
            "password_encryption = 'scram-sha-256'",
            "max_connections = 200",
            "shared_buffers = '64MB'",
            "max_wal_size = '256MB'",
            "log_line_prefix = '%m [%p] %q%u@%d '",
            "log_min_duration_statement = 2000",
            "timezone = 'UTC'",
        ]
        if self.cfg.environment == "test":
            # Test clusters are throw-away (a fresh data dir per test session): durability
            # buys nothing there, and skipping fsync makes commits and DDL much faster on a
            # small machine. Never in the dev stack, whose data must survive a crash.
            lines += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        lines += list(self.cfg.pg_settings)
        path = self.datadir / "devstack.conf"
        path.write_text("\n".join(lines) + "\n")
        chown(path)
        hba = self.datadir / "pg_hba.conf"  # (initdb's trusts every role on the socket)
        hba.write_text(_HBA)
        chown(hba)

    def postmaster_pid(self) -> int | None:
        try:
            pid = int((self.datadir / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
        if not pid_alive(pid):  # zombie-aware, unlike `pg_ctl status`
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        return pid if b"postgres" in cmdline else None  # not a reused pid

    def running(self) -> bool:
        return self.postmaster_pid() is not None

    def start(self, timeout: float = 60.0) -> float:
        t = time.monotonic()
        self.init()
        self.write_config()
        if not self.running():
            if port_in_use(self.port):
                raise StackError(
                    f"{self.name}: port {self.port} is already in use "
                    f"(another stack or PostgreSQL running?)"
                )
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self.log_path.touch()
            chown(self.log_path)
            proc = self._run("pg_ctl", "start", "-D", str(self.datadir), "-l", str(self.log_path),
                             "-w", "-t", str(int(timeout)), timeout=timeout + 10)
            if proc.returncode != 0:
                raise StackError(
                    f"{self.name}: pg_ctl start failed:\n{proc.stdout}\n{proc.stderr}\n"
                    f"--- last lines of {self.log_path} ---\n{tail(self.log_path)}"
                )
        else:  # already up: it reads the settings and pg_hba just written
            self._run("pg_ctl", "reload", "-D", str(self.datadir))
        self.ensure_databases()
        return time.monotonic() - t

    def admin_connect(self):
        import psycopg  # lazily: only needed when a server starts

        return psycopg.connect(host=str(self.socket_dir), port=self.port, user=PG_USER,
                               dbname="postgres", autocommit=True, connect_timeout=10)

    def ensure_databases(self) -> None:
        """Each database gets a login role of the same name (password cfg.db_password) that
        owns it. Idempotent; re-sets the password so a changed config takes effect."""
        from psycopg import sql

        with self.admin_connect() as conn:
            for db in self.server.databases:
                role = sql.Identifier(db)
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (db,)).fetchone()
                verb = "ALTER" if exists else "CREATE"
                conn.execute(
                    sql.SQL("{} ROLE {} WITH LOGIN PASSWORD {}").format(
                        sql.SQL(verb), role, sql.Literal(self.cfg.db_password)
                    )
                )
                if not conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (db,)
                ).fetchone():
                    conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(role, role))
                else:
                    conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(role, role))
                if db in self.cfg.runtime_roles:
                    self._runtime_role(conn, db)

    def _runtime_role(self, conn, db: str) -> None:
        """`<db>_app`: may connect; its table rights are granted by the service's own
        migration step (run as the owner), so they follow the schema."""
        from psycopg import sql

        app = sql.Identifier(f"{db}_app")
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s",
                              (f"{db}_app",)).fetchone()
        conn.execute(sql.SQL("{} ROLE {} WITH LOGIN PASSWORD {}").format(
            sql.SQL("ALTER" if exists else "CREATE"), app, sql.Literal(self.cfg.db_password)))
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(db), app))

    def stop(self, mode: str = "fast", timeout: float = 60.0) -> None:
        if not (self.datadir / "PG_VERSION").is_file() or not self.running():
            return
        proc = self._run("pg_ctl", "stop", "-D", str(self.datadir), "-m", mode, "-w", "-t",
                         str(int(timeout)), timeout=timeout + 10)
        if proc.returncode != 0 and self.running():
            pid = self.postmaster_pid()
            if pid:  # last resort, so no server outlives the stack
                os.kill(pid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the postmaster (crash simulation); its backends exit on their own and the
        next start does crash recovery."""
        pid = self.postmaster_pid()
        if not pid:
            return
        # Orphaned server processes are reaped by init, on some machines only every second
        # or two; until then the postmaster's zombie keeps postmaster.pid "in use" and a
        # restart would refuse to start. Wait for the reaping, and if it does not come, drop
        # the lock file ourselves (every server process is dead by then).
        kill_tree(pid, wait_s=5)
        deadline = time.monotonic() + 5
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if Path(f"/proc/{pid}").exists():
            (self.datadir / "postmaster.pid").unlink(missing_ok=True)

    def rss_bytes(self, children: dict[int, list[int]] | None = None) -> int:
        pid = self.postmaster_pid()
        return tree_rss_bytes(pid, children) if pid else 0

    # -- the rest of devstack.component.Component ------------------------------------------
    ready_timeout = 120.0

    def launch(self) -> None:
        """Nothing to do before waiting: `pg_ctl start -w` starts and waits in one step."""

    def wait_ready(self, timeout: float) -> float:
        return self.start(timeout)

    def records(self) -> list[dict[str, Any]]:
        return []  # a server outlives its supervisor on purpose (leftovers.py handles it)
