"""What every benchmark's command line shares: its parser and a fresh stack directory."""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

from devstack.config import StackConfig, test_config


def parser(doc: str | None) -> argparse.ArgumentParser:
    """The module's docstring as the help text, its line breaks kept."""
    return argparse.ArgumentParser(description=doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def stack_dir(name: str) -> Path:
    """A fresh /tmp/bench-<name>-* directory for a benchmark's own stack."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    data_dir.chmod(0o755)  # the postgres user needs to reach pg/ inside it
    return data_dir


def stack_config(data_dir: Path, base_port: int) -> StackConfig:
    """A test stack's settings for a benchmark, with its broker run as a long-running one
    (the JVM's full JIT, as in production): what the figures describe is a system that has
    been up for a while."""
    return dataclasses.replace(test_config(data_dir, base_port=base_port), long_running=True)
