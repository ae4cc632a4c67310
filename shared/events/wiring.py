"""Event handlers wired by contract class, checked before a consumer starts.

A consumer declares, for the topics it subscribes to, a handler per contract class and the
contracts it is explicitly not interested in. `bind` refuses (WiringError, so the service
does not start) when a handler names no registered contract or a contract on none of the
subscribed topics, when a contract is both handled and ignored, or when a contract that
arrives on a subscribed topic has neither a handler nor an "ignored" entry. So a typo or a
new event type is found at start-up, not by events silently counted as ignored.

An event is accepted only from a topic that carries its contract (topic_contracts): with
per-topic write ACLs on the broker (only the owning service may write its topic, see
docs/security.md) that makes the topic a trustworthy statement of who sent it, so a forged
`MessageRouted` on the patient mailbox's topic, say, is dead-lettered instead of handled
(`Binding.accepts`).

Deprecated: maps keyed by wire name (`"routing.message_routed.v1"`), still accepted so that
services not yet converted keep working; their names must still be registered contracts.
Such a binding has no complete declaration, so unknown types stay skipped (not dead-lettered)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from shared.events.envelope import EventData
from shared.events.registry import REGISTRY
from shared.events.topic_contracts import CONTRACTS_ON

H = TypeVar("H")
log = logging.getLogger(__name__)

# By contract class; by wire name (deprecated); or both mixed, while a service converts.
Handlers = Mapping[type[EventData], H] | Mapping[str, H] | Mapping[type[EventData] | str, H]


class WiringError(RuntimeError):
    """The handler declaration of a consumer does not match the contracts: do not start."""


@dataclass(frozen=True)
class Binding(Generic[H]):
    """What the inbox consumer dispatches on: wire name -> handler, and the wire names it
    drops on purpose (None: a legacy wire-name map, which skips anything unhandled)."""

    handlers: dict[str, H]
    ignored: frozenset[str] | None
    # Topic -> the wire names it may carry; None (legacy bindings, ad-hoc test topics):
    # no check.
    owned: Mapping[str, frozenset[str]] | None = None

    def accepts(self, topic: str, wire: str) -> bool:
        """Whether an event of this type may arrive on this topic (its owning topic)."""
        return self.owned is None or wire in self.owned.get(topic, frozenset())


def owned_wire_names(topics: Iterable[str]) -> dict[str, frozenset[str]]:
    """Topic -> the wire names of the contracts its owning service publishes there."""
    return {t: frozenset(wire_name(c) for c in on_topics([t])) for t in topics}


def wire_name(contract: type[EventData]) -> str:
    return f"{contract.event_type}.v{contract.event_version}"


def _registered(contract: object) -> bool:
    return isinstance(contract, type) and REGISTRY.get(
        (getattr(contract, "event_type", ""), getattr(contract, "event_version", 0))
    ) is contract


def on_topics(topics: Iterable[str]) -> set[type[EventData]]:
    """The contracts that may arrive on these topics."""
    found: set[type[EventData]] = set()
    for topic in topics:
        if topic not in CONTRACTS_ON:
            raise WiringError(f"unknown topic {topic!r}")
        found |= set(CONTRACTS_ON[topic])
    return found


def bind(consumer: str, topics: Iterable[str], handlers: Handlers[H],
         ignore: Iterable[type[EventData]] = ()) -> Binding[H]:
    topics = list(topics)
    arriving = on_topics(topics)
    ignored = set(ignore)
    by_name: dict[str, H] = {}
    legacy = any(isinstance(key, str) for key in handlers)
    for key, handler in handlers.items():
        if isinstance(key, str):
            if not any(wire_name(c) == key for c in REGISTRY.values()):
                raise WiringError(f"{consumer}: handler for {key!r}, which names no contract")
            by_name[key] = handler
            continue
        if not _registered(key):
            raise WiringError(f"{consumer}: handler for {key!r}, which is no registered contract")
        if key not in arriving:
            raise WiringError(f"{consumer}: handler for {key.__name__}, which arrives on none "
                              f"of {topics}")
        by_name[wire_name(key)] = handler
    for contract in ignored:
        if not _registered(contract):
            raise WiringError(f"{consumer}: ignores {contract!r}, which is no registered contract")
        if contract in handlers:
            raise WiringError(f"{consumer}: {contract.__name__} is both handled and ignored")
    if legacy:
        warnings.warn(f"{consumer}: handlers keyed by wire name are deprecated; key them by "
                      "contract class (shared.events.wiring)", DeprecationWarning, stacklevel=3)
        log.warning("handlers keyed by wire name (deprecated)", extra={"consumer": consumer})
        return Binding(by_name, None, owned_wire_names(topics))
    missing = sorted(c.__name__ for c in arriving - set(handlers) - ignored)
    if missing:
        raise WiringError(f"{consumer}: no handler and no 'ignored' for {', '.join(missing)} "
                          f"(arriving on {topics})")
    return Binding(by_name, frozenset(wire_name(c) for c in ignored), owned_wire_names(topics))
