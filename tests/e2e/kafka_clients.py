"""Kafka clients for tests that look at or write to the stack's broker directly: connection
settings of the stack's broker (a service's own, or the admin's for reading anything)."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer


def admin(stack) -> dict[str, Any]:
    """The super user (devstack's admin): may read and write everything."""
    return {"bootstrap_servers": stack.cfg.kafka_bootstrap, **stack.cfg.kafka_auth().client_options()}


def as_service(stack, service: str) -> dict[str, Any]:
    """Logged in as the service's own principal: only what its ACLs allow
    (shared.kafka_access)."""
    user = stack.cfg.kafka_user(service)
    return {"bootstrap_servers": stack.cfg.kafka_bootstrap,
            **stack.cfg.kafka_auth(user).client_options()}


def producer(stack, service: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(acks="all", **as_service(stack, service))
