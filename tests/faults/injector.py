"""The faults, injected one at a time into a running devstack while the load runs.

Kinds (every one once per round, in a seeded random order, at seeded random moments):
  kill:<service>  SIGKILL the service (and its children), start it again at once
  kill:kafka      SIGKILL the broker, leave it down a few seconds, start it again
  restart:pg-*    restart a PostgreSQL server (`pg_ctl stop -m fast`, then start)
  stop:mailsink   stop the SMTP sink for a while, then start it again

After each fault the injector waits until the workflow completes again: the recovery time is
from the fault's end (the component is back and ready) to the end of the first conversation
that began after it. This runs on the main thread: the stack starts its children there (their
parent-death signal belongs to the thread that forks them)."""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass

from devstack.supervisor import Stack
from tests.faults.load import Ledger

RECOVERY_GIVE_UP_S = 300.0


@dataclass
class Fault:
    kind: str
    target: str
    began_s: float = 0.0      # since the run started
    began_at: float = 0.0     # wall clock (time.time()), to compare with the mail sink's files
    down_s: float = 0.0       # from the kill/stop until the component was ready again
    recovery_s: float | None = None  # from ready again until a new conversation completed

    def as_dict(self) -> dict:
        return asdict(self)


def plan(rng: random.Random, services: list[str]) -> list[Fault]:
    faults = ([Fault("kill", "kafka")] + [Fault("kill", s) for s in services]
              + [Fault("restart", f"pg-{n}") for n in ("patient", "careunit", "platform")]
              + [Fault("stop", "mailsink")])
    rng.shuffle(faults)
    return faults


class Injector:
    def __init__(self, stack: Stack, ledger: Ledger, rng: random.Random, *,
                 gap_s: tuple[float, float] = (0.5, 3.0),
                 outage_s: tuple[float, float] = (2.0, 6.0)) -> None:
        self.stack, self.ledger, self.rng = stack, ledger, rng
        self.gap_s, self.outage_s = gap_s, outage_s
        self.t0 = time.monotonic()
        self.done: list[Fault] = []

    def run(self, faults: list[Fault]) -> None:
        for fault in faults:
            time.sleep(self.rng.uniform(*self.gap_s))  # a random moment in the traffic
            self.inject(fault)
            self.done.append(fault)

    def inject(self, fault: Fault) -> None:
        began = time.monotonic()
        fault.began_s, fault.began_at = round(began - self.t0, 2), time.time()
        if fault.kind == "kill":
            self.stack.kill_service(fault.target)
            if fault.target == "kafka":
                time.sleep(self.rng.uniform(*self.outage_s))
        elif fault.kind == "restart":
            self.stack.stop_service(fault.target)
        else:
            self.stack.stop_service(fault.target)
            time.sleep(self.rng.uniform(*self.outage_s) * 2)  # mail piles up meanwhile
        self.stack.start_service(fault.target)
        back = time.monotonic()
        fault.down_s = round(back - began, 2)
        deadline = back + RECOVERY_GIVE_UP_S
        while (end := self.ledger.completed_since(back)) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        fault.recovery_s = None if end is None else round(end - back, 2)
