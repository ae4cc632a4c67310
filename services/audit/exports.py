"""Search results as files: CSV (one row per record) and a FHIR R4 Bundle (type searchset)
of AuditEvents, each record as seen by the first of its units in the caller's scope."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from services.audit import balp
from services.audit.facts import Facts
from services.audit.queries import entry_of

COLUMNS = ["seq", "occurred_at", "recorded_at", "event_type", "action", "outcome",
           "unit_ids", "staff_id", "patient_id", "message_id", "conversation_id",
           "source_service", "event_id"]


def _facts(row, units: list[str]) -> Facts:
    return Facts(units=units, patient_id=row.patient_id, staff_id=row.staff_id,
                 message_id=row.message_id, conversation_id=row.conversation_id)


def resource(row, units: list[str]) -> dict[str, Any]:
    entry = entry_of(row)
    return balp.audit_event(entry, _facts(row, units), units[0] if units else None,
                            resource_id=entry.event_id)


def csv_text(rows: Iterable[tuple[Any, list[str]]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row, units in rows:
        event = resource(row, units)
        writer.writerow([row.seq, row.occurred_at.isoformat(), row.recorded_at.isoformat(),
                         f"{row.event_type}.v{row.event_version}", event["action"],
                         event["outcome"], " ".join(units), row.staff_id or "",
                         row.patient_id or "", row.message_id or "",
                         row.conversation_id or "", row.source_service, str(row.event_id)])
    return out.getvalue()


def bundle(rows: Iterable[tuple[Any, list[str]]]) -> dict[str, Any]:
    entries = [{"fullUrl": f"urn:uuid:{row.event_id}", "resource": resource(row, units),
                "search": {"mode": "match"}} for row, units in rows]
    return {"resourceType": "Bundle", "type": "searchset", "total": len(entries),
            "timestamp": datetime.now(UTC).isoformat(), "entry": entries}
