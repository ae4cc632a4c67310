"""The Kafka broker's jars: Maven resolves `devstack/kafka/pom.xml` (`org.apache.kafka:kafka_2.13`
plus a log4j2 binding) into `.cache/kafka/lib`, outside git, once and again only when the pom
changes. `python -m devstack.kafka` (scripts/bootstrap) calls `main` here."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

from devstack.config import CACHE_DIR, REPO_ROOT
from devstack.procs import StackError

KAFKA_VERSION = "4.1.1"  # keep in sync with devstack/kafka/pom.xml
POM = REPO_ROOT / "devstack" / "kafka" / "pom.xml"
LIB_DIR = CACHE_DIR / "kafka" / "lib"
_STAMP = ".pom-sha256"
_MAIN_JAR = f"kafka_2.13-{KAFKA_VERSION}.jar"


def _pom_hash() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def jars_ready(lib_dir: Path = LIB_DIR) -> bool:
    stamp = lib_dir / _STAMP
    return (
        stamp.is_file()
        and stamp.read_text().strip() == _pom_hash()
        and (lib_dir / _MAIN_JAR).is_file()
    )


def ensure_jars(lib_dir: Path = LIB_DIR, *, quiet: bool = False) -> Path:
    """Resolve the broker's runtime classpath with Maven into `lib_dir` unless it is there
    for the current pom. Resolves into a temporary directory first, so an interrupted run
    never leaves a half-filled classpath that looks complete."""
    if jars_ready(lib_dir):
        return lib_dir
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError("Maven (mvn) not found: run scripts/bootstrap (apt-get install maven)")
    tmp = lib_dir.with_name(lib_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    if not quiet:
        print(
            f"devstack: resolving Kafka {KAFKA_VERSION} jars with Maven into {lib_dir}",
            file=sys.stderr,
            flush=True,
        )
    cmd = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={tmp}",
    ]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        raise StackError(
            f"Maven could not resolve the Kafka jars (exit {proc.returncode}):\n"
            f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    if not (tmp / _MAIN_JAR).is_file():
        raise StackError(f"Maven finished but {_MAIN_JAR} is not in {tmp}")
    (tmp / _STAMP).write_text(_pom_hash() + "\n")
    shutil.rmtree(lib_dir, ignore_errors=True)
    tmp.rename(lib_dir)
    return lib_dir


def main() -> None:  # `python -m devstack.kafka` resolves the jars only (used by bootstrap)
    t = time.monotonic()
    ensure_jars()
    print(f"Kafka {KAFKA_VERSION} jars ready in {LIB_DIR} ({time.monotonic() - t:.1f}s)")
