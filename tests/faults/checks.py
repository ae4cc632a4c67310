"""What must hold after the faults, read straight from the databases, the mail sink's store
and the unit inbox API:

  lost            acknowledged patient messages missing from the care-unit database or the
                  unit inbox; acknowledged answers missing from the patient database; answers
                  whose patient e-mail was never sent
  duplicates      rows per conversation beyond what was acknowledged plus the writes whose
                  outcome is unknown; notifications per causing event > 1; mails per
                  Message-ID > 1 (the Message-ID is the notification id)
  audit           per (message, staff member): audit records of opens vs the opens the
                  generator saw answered (200), allowing only the opens whose outcome is
                  unknown
  order           each conversation's acknowledged messages appear in the order they were
                  acknowledged, on both sides"""

from __future__ import annotations

import email
import functools
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import psycopg

from devstack.config import StackConfig
from tests.faults.load import Conversation, Ledger


def _dsn(cfg: StackConfig, server: str, db: str) -> str:
    return cfg.database_url(server, db).replace("+psycopg", "")


def _rows(cfg: StackConfig, server: str, db: str, sql: str, *args: Any) -> list[tuple]:
    with psycopg.connect(_dsn(cfg, server, db)) as conn:
        return conn.execute(sql, args).fetchall()


def unit_side(cfg: StackConfig, conv_ids: list[str]) -> dict[str, list[tuple]]:
    """conversation -> [(at, id, direction)] in the care-unit database, oldest first."""
    rows = _rows(cfg, "careunit", "careunit_mailbox", """
        SELECT m.conversation_id, m.submitted_at, m.message_id, 'to_unit' FROM unit_messages m
         WHERE m.conversation_id = ANY(%s)
        UNION ALL SELECT m.conversation_id, f.sent_at, f.follow_up_id, 'to_unit'
          FROM follow_ups f JOIN unit_messages m USING (message_id)
         WHERE m.conversation_id = ANY(%s)
        UNION ALL SELECT m.conversation_id, r.sent_at, r.reply_id, 'to_patient'
          FROM replies r JOIN unit_messages m USING (message_id)
         WHERE m.conversation_id = ANY(%s)""", conv_ids, conv_ids, conv_ids)
    return _by_conversation(rows)


def patient_side(cfg: StackConfig, conv_ids: list[str]) -> dict[str, list[tuple]]:
    rows = _rows(cfg, "patient", "patient_mailbox", """
        SELECT conversation_id, created_at, message_id, direction FROM messages
         WHERE conversation_id = ANY(%s)""", conv_ids)
    return _by_conversation(rows)


def _by_conversation(rows: list[tuple]) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = defaultdict(list)
    for conv, at, item, direction in rows:
        out[conv].append((at, item, direction))
    for items in out.values():
        items.sort()
    return out


def _in_order(expected: list[str], actual: list[str]) -> bool:
    """`expected` is a subsequence of `actual` (extra rows are counted as duplicates)."""
    it = iter(actual)
    return all(any(x == y for y in it) for x in expected)


def delivery(cfg: StackConfig, ledger: Ledger) -> dict[str, Any]:
    convs = list(ledger.conversations.values())
    ids = [c.conversation_id for c in convs]
    unit, patient = unit_side(cfg, ids), patient_side(cfg, ids)
    report: dict[str, Any] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)

    def bad(kind: str, conv: Conversation) -> None:
        report[kind] += 1
        if len(examples[kind]) < 5:
            examples[kind].append(conv.conversation_id)
    for conv in convs:
        u = unit.get(conv.conversation_id, [])
        p = patient.get(conv.conversation_id, [])
        u_to_unit = [i for _, i, d in u if d == "to_unit"]
        p_to_patient = [i for _, i, d in p if d == "to_patient"]
        p_to_unit = [i for _, i, d in p if d == "to_unit"]
        report["lost_in_unit_db"] += len(set(conv.sent) - set(u_to_unit))
        report["lost_answers_in_patient_db"] += len(set(conv.answers) - set(p_to_patient))
        extra = (len(u_to_unit) - len(conv.sent)) + (len(p_to_patient) - len(conv.answers))
        if extra > conv.unknown_writes:
            bad("duplicate_rows", conv)
        if len(u_to_unit) != len(set(u_to_unit)) or len(p) != len({i for _, i, _ in p}):
            bad("duplicate_rows", conv)
        if not _in_order(conv.sent, u_to_unit):
            bad("order_unit_side", conv)
        if not _in_order(conv.sent, p_to_unit) or not _in_order(conv.answers, p_to_patient):
            bad("order_patient_side", conv)
        # The whole thread as the generator lived it: message, answer, two follow-ups, answer.
        whole = conv.done and not conv.answer_ids_unknown
        if whole and not _in_order(_lived(conv), [i for _, i, _ in p]):
            bad("order_patient_side", conv)
        if whole and not _in_order(_lived(conv), [i for _, i, _ in u]):
            bad("order_unit_side", conv)
    return {**{k: report[k] for k in ("lost_in_unit_db", "lost_answers_in_patient_db",
                                      "duplicate_rows", "order_unit_side",
                                      "order_patient_side")},
            "examples": dict(examples)}


def _lived(conv: Conversation) -> list[str]:
    first, rest = conv.sent[0], conv.sent[1:]
    return [first, conv.answers[0], *rest, *conv.answers[1:]]


def inbox_missing(ledger: Ledger, listed: set[str]) -> int:
    """Acknowledged first messages the unit inbox (the API) does not list."""
    return sum(c.sent[0] not in listed for c in ledger.conversations.values())


# SMTP has no exactly-once: a notifier killed after the sink accepted a mail and before its
# database recorded it cannot know it was sent, and sends it again (same Message-ID) when the
# lease runs out; the other choice would lose notifications. A copy whose first one was
# accepted this close to a notifier kill is such an unknown outcome, reported apart (after:
# the sink may read the last bytes from its socket after the sender died).
SEND_RECORD_WINDOW_S = 5.0


def mails(cfg: StackConfig, ledger: Ledger,
          notifier_kills: list[float] | tuple[float, ...] = ()) -> dict[str, Any]:
    """Notifications (notifier's database) and the mails the sink stored (its directory);
    `notifier_kills` are the wall-clock moments the notifier was SIGKILLed."""
    ids = list(ledger.conversations)
    rows = _rows(cfg, "platform", "notifier", """
        SELECT conversation_id, reason, notification_id::text, cause_event_id::text, state
          FROM notifications WHERE conversation_id = ANY(%s)""", ids)
    per_cause = Counter((cause, reason) for _, reason, _, cause, _ in rows)
    answered = Counter(conv for conv, reason, _, _, state in rows
                       if "reply_delivered" in reason and state == "sent")
    ours = {f"<{nid}" for _, _, nid, _, _ in rows}
    message_ids: Counter = Counter()
    first_at: dict[str, float] = {}
    for path in (cfg.data_dir / "mail").glob("*.eml"):
        if (mid := _message_id(path).split("@")[0]) in ours:  # other tests' mail aside
            message_ids[mid] += 1
            first_at[mid] = min(first_at.get(mid, float("inf")), path.stat().st_mtime)
    unknown = {mid for mid, n in message_ids.items() if n > 1 and any(
        abs(kill - first_at[mid]) <= SEND_RECORD_WINDOW_S for kill in notifier_kills)}
    sent = {f"<{nid}" for _, _, nid, _, state in rows if state == "sent"}
    in_sink = set(message_ids)
    return {
        "notifications": len(rows),
        "duplicate_notifications": sum(n - 1 for n in per_cause.values() if n > 1),
        "answers_without_patient_mail": sum(
            max(0, len(c.answers) - answered[c.conversation_id])
            for c in ledger.conversations.values()),
        "mails_in_sink": sum(message_ids.values()),
        "duplicate_mails_by_message_id": sum(n - 1 for mid, n in message_ids.items()
                                             if n > 1 and mid not in unknown),
        "duplicate_mails_notifier_killed_between_send_and_record": sum(
            message_ids[mid] - 1 for mid in unknown),
        "sent_notifications_not_in_sink": len(sent - in_sink),
    }


@functools.cache
def _message_id(path: Path) -> str:
    # A stored mail never changes, and the quiet period asks again every second: under load
    # parsing thousands of mails each time outlasted the test's timeout.
    return str(email.message_from_bytes(path.read_bytes()).get("Message-ID", "")).strip()


def audit(cfg: StackConfig, ledger: Ledger) -> dict[str, Any]:
    rows = _rows(cfg, "platform", "audit", """
        SELECT summary->>'message_id', actor_id, count(*) FROM audit_records
         WHERE event_type LIKE %s GROUP BY 1, 2""", "%message_opened%")
    records = {(m, a): n for m, a, n in rows}
    mismatched = [key for key in set(ledger.opens) | set(ledger.unknown_opens)
                  if not (ledger.opens[key] <= records.get(key, 0)
                          <= ledger.opens[key] + ledger.unknown_opens[key])]
    # Fewer records than answered opens may be the audit consumer still catching up (it lags
    # most after its own kill): the quiet period waits for these before judging.
    behind = sum(records.get(key, 0) < n for key, n in ledger.opens.items())
    return {"opens_answered": sum(ledger.opens.values()), "reads_behind": behind,
            "opens_unknown_outcome": sum(ledger.unknown_opens.values()),
            "open_records": sum(records.get(k, 0) for k in set(ledger.opens)),
            "reads_with_wrong_record_count": len(mismatched),
            "examples": [list(k) for k in mismatched[:5]]}
