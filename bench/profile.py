"""Flame graphs of the busiest service processes under load, with py-spy (sampling from
outside the process: no code change, little overhead). py-spy attaches with ptrace; where
that is not allowed, run a service as its child instead (`py-spy record -- python -m ...`)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import procstat

PYTHON_SERVICES_TOP = int(os.environ.get("BENCH_PROFILE_TOP", "4"))  # how many services py-spy records


def _py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        raise RuntimeError("py-spy is not installed (pip install py-spy)")
    return found


async def flame_graphs(stack, step: Callable[[], Awaitable[dict]], out: Path,
                       roots: dict[str, int], seconds: float = 15.0) -> dict:
    """Runs `step` while py-spy records the services that used the most CPU in a short
    sample; returns {service: svg file name} and the profiled step's figures."""
    services = {n: p for n, p in roots.items() if n in stack.services}
    before = procstat.cpu_ms(services)
    step_task = asyncio.create_task(step())
    await asyncio.sleep(3.0)
    used = procstat.delta(procstat.cpu_ms(services), before)
    hottest = sorted(used, key=used.__getitem__, reverse=True)[:PYTHON_SERVICES_TOP]
    out.mkdir(parents=True, exist_ok=True)
    recorders = {}
    for name in hottest:
        svg = out / f"flame-{name}.svg"
        recorders[name] = await asyncio.create_subprocess_exec(
            _py_spy(), "record", "--pid", str(services[name]), "--duration", str(int(seconds)),
            "--rate", "50", "--nonblocking", "--format", "flamegraph", "-o", str(svg),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    files = {}
    for name, proc in recorders.items():
        _, err = await proc.communicate()
        if proc.returncode == 0:
            files[name] = f"flame-{name}.svg"
        else:
            files[name] = f"py-spy failed: {err.decode(errors='replace')[-200:]}"
    return {"files": files, "step": await step_task}
