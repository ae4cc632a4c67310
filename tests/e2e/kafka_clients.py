"""Kafka clients for tests that look at or write to the stack's broker directly: connection
settings of the stack's broker (a service's own, or the admin's for reading anything)."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer


def admin(stack) -> dict[str, Any]:
    return {"bootstrap_servers": stack.cfg.kafka_bootstrap}


def as_service(stack, service: str) -> dict[str, Any]:
    return {"bootstrap_servers": stack.cfg.kafka_bootstrap}


def producer(stack, service: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(acks="all", **as_service(stack, service))
