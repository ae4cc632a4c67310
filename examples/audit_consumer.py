"""An external auditor's consumer of the auditors' stream (docs/audit-stream.md).

Reads the audit topic from the beginning, validates every record against the published JSON
Schema (schemas/audit-stream/audit-record.schema.json) and, optionally, keeps only the
records of one care unit (by the Kafka key, which is the unit's HSA-id). Prints one line of
JSON per record (the FHIR AuditEvent) and stops when the topic has been idle for a while.

    KAFKA_PASSWORD=... python examples/audit_consumer.py --bootstrap 127.0.0.1:9092
        --username USER [--region stockholm] [--unit SE2321000016-TEST1]

Requires aiokafka and jsonschema. It commits no offsets (no consumer group): every run reads
the whole retained stream again; a long-running consumer would set a group id and keep
its own record of event ids, since delivery is at least once."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema
from aiokafka import AIOKafkaConsumer

RECORDED = "audit.audit_event_recorded"  # the topic also carries signed checkpoints


def topic_of(region: str) -> str:
    """The audit topic on a broker regions share: `<region>.audit.events`."""
    return f"{region}.audit.events"


TOPIC = topic_of("stockholm")
NO_UNIT = "-"
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas/audit-stream/audit-record.schema.json"


def validator(schema_path: Path = SCHEMA_PATH) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_path.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


async def records(bootstrap: str, *, unit: str | None = None, topic: str = TOPIC,
                  idle_s: float = 5.0,
                  check: jsonschema.protocols.Validator | None = None,
                  login: dict[str, Any] | None = None) -> AsyncIterator[dict[str, Any]]:
    """Every valid record from the beginning (of one unit, if given); raises
    jsonschema.ValidationError on the first record that does not fit the schema. `login`:
    aiokafka's SASL options (the broker lets in only known principals with read access)."""
    check = check or validator()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                **(login or {}))
    await consumer.start()
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=int(idle_s * 1000), max_records=500)
            if not batch:
                return
            for messages in batch.values():
                for message in messages:
                    key = message.key.decode() if message.key else NO_UNIT
                    if unit is not None and key != unit:
                        continue  # filtering by key: no need to parse other units' records
                    value = json.loads(message.value)
                    if value.get("type") != RECORDED:
                        continue  # a signed checkpoint (services/audit verify reads those)
                    check.validate(value)
                    yield value
    finally:
        await consumer.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--unit", help="only this care unit's records (its HSA-id)")
    parser.add_argument("--region", default="stockholm", help="whose audit topic to read")
    parser.add_argument("--username", help="SASL/SCRAM-SHA-512 user; password from "
                                           "$KAFKA_PASSWORD")
    args = parser.parse_args()
    login = ({"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
              "sasl_plain_username": args.username,
              "sasl_plain_password": os.environ.get("KAFKA_PASSWORD", "")}
             if args.username else None)
    async for record in records(args.bootstrap, unit=args.unit, topic=topic_of(args.region),
                                login=login):
        print(json.dumps(record["data"]["resource"], ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
