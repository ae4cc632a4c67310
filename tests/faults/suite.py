"""One fault-suite run against a running stack: load in a background thread, faults on this
(the main) thread, then a bounded quiet period and the checks (tests/faults/checks.py).

Used by the small in-suite test (tests/faults/test_fault_suite.py) and the full-size command
(`python -m tests.faults`, docs/faults.md)."""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from devstack.supervisor import Stack
from tests.e2e import oidc_flow
from tests.e2e.support import Person, all_pages
from tests.faults import checks
from tests.faults.injector import Injector, plan
from tests.faults.load import UNIT, Generator, Ledger

WARM_UP_GIVE_UP_S = 240.0
QUIET_S = 180.0  # after the last fault, everything acknowledged must land within this


def _log(line: str) -> None:
    print(line, flush=True)


def run(stack: Stack, *, seed: int, target_messages: int, clients: int,
        max_rounds: int | None = None, log=_log) -> dict[str, Any]:
    """Fault rounds repeat until 90 % of `target_messages` are acknowledged (or
    `max_rounds` are done); the load then runs on to the target."""
    oidc_flow.STACK = stack
    rng, ledger, stop = random.Random(seed), Ledger(), threading.Event()
    log(f"fault suite: seed {seed}, target {target_messages} messages, {clients} clients")
    gateway = stack.urls()["gateway"]
    load_error: list[BaseException] = []

    def load() -> None:
        async def go() -> None:
            limits = httpx.Limits(max_connections=clients * 2)
            async with httpx.AsyncClient(base_url=gateway, timeout=30, limits=limits) as http:
                await Generator(http, ledger).run(clients, target_messages, stop)
        try:
            asyncio.run(go())
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            load_error.append(exc)
    thread = threading.Thread(target=load, name="fault-load", daemon=True)
    started = time.monotonic()
    thread.start()
    while ledger.completed_since(started) is None:  # forms and keys in place first
        if not thread.is_alive() or time.monotonic() - started > WARM_UP_GIVE_UP_S:
            ledger.aborted = True
            raise RuntimeError("no conversation completed before the faults: "
                               f"{load_error or dict(ledger.failures)}")
        time.sleep(0.2)
    injector = Injector(stack, ledger, rng)
    services = [s for s in stack.specs]
    rounds = 0
    while rounds == 0 or (ledger.acknowledged < target_messages * 0.9
                          and (max_rounds is None or rounds < max_rounds)):
        rounds += 1
        faults = plan(rng, services)
        log(f"round {rounds}: " + ", ".join(f"{f.kind}:{f.target}" for f in faults))
        injector.run(faults)
        log(f"  {ledger.acknowledged} messages acknowledged, recovery "
            + ", ".join(f"{f.target} {f.recovery_s}s" for f in faults))
    stop.set()
    thread.join(timeout=600)
    load_s = time.monotonic() - started
    if load_error or thread.is_alive():
        raise RuntimeError(f"the load did not finish: {load_error}")
    report = verify(stack, ledger, [f.began_at for f in injector.done
                                    if f.kind == "kill" and f.target == "notifier"])
    report |= {"seed": seed, "clients": clients, "rounds": rounds,
               "load_s": round(load_s, 1),
               "messages_acknowledged": ledger.acknowledged,
               "conversations": len(ledger.conversations),
               "conversations_completed": sum(c.done for c in ledger.conversations.values()),
               "answers_acknowledged": sum(len(c.answers)
                                          for c in ledger.conversations.values()),
               "submits_unknown_outcome": ledger.unknown_submits,
               "conversation_s": _quantiles([end - start for start, end in ledger.completions]),
               "gave_up": dict(ledger.failures), "retries": dict(ledger.retries),
               "faults": [f.as_dict() for f in injector.done]}
    return report


def _quantiles(values: list[float]) -> dict[str, float]:
    """Median and 95th percentile: how long one whole conversation takes (a recovery time
    always includes one)."""
    if not values:
        return {}
    ordered = sorted(values)
    return {"p50": round(ordered[len(ordered) // 2], 2),
            "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2)}


def verify(stack: Stack, ledger: Ledger, notifier_kills: list[float]) -> dict[str, Any]:
    """Waits (bounded) until nothing acknowledged is missing, then reports every check."""
    deadline = time.monotonic() + QUIET_S
    t0 = time.monotonic()
    while True:
        delivery = checks.delivery(stack.cfg, ledger)
        mails = checks.mails(stack.cfg, ledger, notifier_kills)
        audit = checks.audit(stack.cfg, ledger)
        missing = (delivery["lost_in_unit_db"] + delivery["lost_answers_in_patient_db"]
                   + mails["answers_without_patient_mail"] + audit["reads_behind"])
        if missing == 0 or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    quiet_s = time.monotonic() - t0
    return {"quiet_s": round(quiet_s, 1), "delivery": delivery, "mails": mails,
            "audit": audit,
            "inbox_missing": asyncio.run(_inbox_missing(stack, ledger))}


async def _inbox_missing(stack: Stack, ledger: Ledger) -> int:
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=60) as http:
        from tests.faults.load import People
        admin = await Person.login(http, hsa_id=People(http, 1).admin_id)
        listed = {m["message_id"] for m in await all_pages(admin, f"/v1/units/{UNIT}/messages")}
    return checks.inbox_missing(ledger, listed)


def violations(report: dict[str, Any]) -> list[str]:
    """Every guarantee that does not hold, in words (empty: all hold)."""
    d, m, a = report["delivery"], report["mails"], report["audit"]
    found = {
        "acknowledged messages lost (care-unit database)": d["lost_in_unit_db"],
        "acknowledged messages not in the unit inbox": report["inbox_missing"],
        "answers lost (patient database)": d["lost_answers_in_patient_db"],
        "answers without a patient e-mail": m["answers_without_patient_mail"],
        "conversations with duplicate rows": d["duplicate_rows"],
        "duplicate notifications": m["duplicate_notifications"],
        "duplicate e-mails (same Message-ID)": m["duplicate_mails_by_message_id"],
        "sent notifications missing from the mail sink": m["sent_notifications_not_in_sink"],
        "staff reads without exactly one audit record": a["reads_with_wrong_record_count"],
        "conversations out of order (care unit)": d["order_unit_side"],
        "conversations out of order (patient)": d["order_patient_side"],
        "faults the workflow did not recover from": sum(
            f["recovery_s"] is None for f in report["faults"]),
    }
    return [f"{what}: {n}" for what, n in found.items() if n]


def write(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, default=str))


def summary(report: dict[str, Any]) -> str:
    lines = [(f"seed {report['seed']}: {report['messages_acknowledged']} messages acknowledged "
             f"in {report['conversations']} conversations ({report['answers_acknowledged']} "
             f"answers), {report['load_s']} s of load, {report['rounds']} fault round(s), "
             f"quiet period {report['quiet_s']} s; one conversation takes "
             f"{report['conversation_s']} s")]
    for f in report["faults"]:
        lines.append(f"  {f['kind']:>7} {f['target']:<17} at {f['began_s']:>7.1f}s  down "
                     f"{f['down_s']:5.1f}s  recovery {f['recovery_s']}s")
    if unknown := report["mails"].get("duplicate_mails_notifier_killed_between_send_and_record"):
        lines.append(f"  {unknown} e-mail(s) sent again by a notifier killed between send and "
                     "record (same Message-ID; an unknown outcome, not counted)")
    problems = violations(report)
    lines.append("all guarantees hold" if not problems else "VIOLATED: " + "; ".join(problems))
    return "\n".join(lines)
