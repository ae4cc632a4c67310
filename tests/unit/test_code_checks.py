"""ruff and mypy, as configured in pyproject.toml (shared/ and services/), run with the unit
tests so .ci/run fails on a lint or type error like on any other failure; and no code
outside tests/ imports the tests (devstack, bench and the services run without them)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NOT_CODE = {"tests", "node_modules", ".venv", ".cache", ".git"}


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          check=False)


def test_ruff_is_clean() -> None:
    result = _run(str(BIN / "ruff"), "check", "--no-cache", "shared", "services")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = _run(sys.executable, "-m", "mypy")  # files and options: [tool.mypy]
    assert result.returncode == 0, result.stdout + result.stderr


def _imports_tests(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
        found += [f"{path.relative_to(ROOT)}:{node.lineno} imports {n}" for n in names
                  if n == "tests" or n.startswith("tests.")]
    return found


def test_nothing_outside_tests_imports_them() -> None:
    code = [p for top in ROOT.iterdir() if top.is_dir() and top.name not in NOT_CODE
            for p in top.rglob("*.py") if not NOT_CODE & set(p.relative_to(ROOT).parts)]
    assert len(code) > 100  # the services, shared, devstack and bench were all found
    assert [hit for path in code for hit in _imports_tests(path)] == []
