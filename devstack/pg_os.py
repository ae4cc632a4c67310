"""PostgreSQL on this machine: where Debian's binaries are, and the `postgres` OS user every
server command runs as when we are root (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from devstack.procs import StackError

PG_USER = "postgres"


def find_bindir() -> Path:
    """Directory with initdb/pg_ctl/postgres: $PG_BINDIR, the newest
    /usr/lib/postgresql/*/bin, `pg_config --bindir`, or PATH."""
    candidates: list[Path] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))

    def version(p: str) -> tuple[int, ...]:
        v = Path(p).parent.name
        return tuple(int(x) for x in v.split(".") if x.isdigit())

    candidates += [
        Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    ]
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], check=False, capture_output=True, text=True, timeout=10
            ).stdout.strip()
            if out:
                candidates.append(Path(out))
        except (OSError, subprocess.SubprocessError):
            pass
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for c in candidates:
        if (c / "initdb").is_file() and (c / "pg_ctl").is_file() and (c / "postgres").is_file():
            return c
    raise StackError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: run scripts/bootstrap "
        "(apt-get install postgresql) or set PG_BINDIR"
    )


def as_root() -> bool:
    return os.geteuid() == 0


def pg_ids() -> tuple[int, int]:
    try:
        pw = pwd.getpwnam(PG_USER)
    except KeyError as exc:
        raise StackError(
            f"running as root but there is no '{PG_USER}' user to run PostgreSQL as "
            "(it comes with Debian's postgresql package: run scripts/bootstrap)"
        ) from exc
    return pw.pw_uid, pw.pw_gid


def chown(path: Path) -> None:
    if as_root():
        uid, gid = pg_ids()
        os.chown(path, uid, gid)
