"""What every benchmark's command line shares: its parser and a fresh stack directory."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def parser(doc: str | None) -> argparse.ArgumentParser:
    """The module's docstring as the help text, its line breaks kept."""
    return argparse.ArgumentParser(description=doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def stack_dir(name: str) -> Path:
    """A fresh /tmp/bench-<name>-* directory for a benchmark's own stack."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    data_dir.chmod(0o755)  # the postgres user needs to reach pg/ inside it
    return data_dir
