"""bench.procstat's per-thread CPU: what bench.brokerjit splits the JVM's CPU by."""

from __future__ import annotations

import os
import time

from bench import procstat


def test_the_threads_cpu_adds_up_to_the_process_cpu() -> None:
    until = time.process_time() + 0.2
    while time.process_time() < until:  # burn 200 ms on this thread
        pass
    threads = procstat.thread_cpu_ms(os.getpid())
    process = procstat.cpu_ms({"me": os.getpid()})["me"]
    assert sum(threads.values()) >= 200
    # Live threads only, so never more than the process; one tick of rounding per thread.
    assert sum(threads.values()) <= process + procstat.TICK_MS * len(threads)
