"""Kafka topic names. One topic per emitting service; partition key is the conversation id
(or the aggregate id where there is no conversation), so order within it is kept.

The constants below are *logical* names: contracts, wiring and outbox rows use them. On the
broker every name carries its region's prefix (`on_broker`), and so do consumer groups
(`group_id`), so several regions share one broker without reading each other's events.
Only the inter-region topics (`INTERREGION_*`) are shared by every region; routing alone
reads and writes them (docs/regions.md). Access control is derived from `region_topics`."""

from __future__ import annotations

import re

IDENTITY = "identity.events"
FORMS = "forms.events"
PATIENT_MAILBOX = "patient-mailbox.events"
CAREUNIT_MAILBOX = "careunit-mailbox.events"
ROUTING = "routing.events"
NOTIFIER = "notifier.events"
AUDIT = "audit.events"

ALL = (IDENTITY, FORMS, PATIENT_MAILBOX, CAREUNIT_MAILBOX, ROUTING, NOTIFIER, AUDIT)

# State that is announced once (units, staff, patients registered; forms published) and that
# a new consumer or a rebuilt projection must be able to read from the start: these topics
# keep their events for ever. (Not compacted: several event types share a key.)
# The audit topic too: its signed checkpoints are the log's anchor outside its database.
STATE = (IDENTITY, FORMS, AUDIT)

# Shared by all regions (no prefix). Each region's routing announces its units (directory
# entries and its care-unit mailbox keys) on the compacted directory topic, and reads every
# other region's from it; hand-overs to a region go on that region's inbound topic.
INTERREGION_UNITS = "interregion.units"
_INTERREGION_INBOUND = "interregion.{region}.inbound"

# Lower-case letters, digits and hyphens: safe in topic names, group ids and k8s labels.
REGION_PATTERN = r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?"
_REGION = re.compile(REGION_PATTERN)


def valid_region(region: str) -> bool:
    return bool(_REGION.fullmatch(region))


def on_broker(region: str, name: str) -> str:
    """The one place a regional topic's broker name is made: `<region>.<logical name>`."""
    if not valid_region(region):
        raise ValueError(f"not a region name: {region!r}")
    return f"{region}.{name}"


def group_id(region: str, consumer: str) -> str:
    """A consumer group is per region too: two regions' audits never share offsets."""
    return on_broker(region, consumer)


def dead_letter(consumer: str) -> str:
    """Each consumer has its own dead-letter topic, so an operator sees who rejected what
    (a logical name: on the broker it carries the region's prefix like every other)."""
    return f"dlq.{consumer}"


def interregion_inbound(region: str) -> str:
    """The topic on which other regions' routing hands messages and answers to `region`."""
    if not valid_region(region):
        raise ValueError(f"not a region name: {region!r}")
    return _INTERREGION_INBOUND.format(region=region)


def region_topics(region: str, consumers: tuple[str, ...] = ()) -> list[str]:
    """Every broker topic a region's services use: its event topics, the dead-letter topics
    of the given consumers, and the shared inter-region topics its routing reads."""
    return ([on_broker(region, t) for t in ALL]
            + [on_broker(region, dead_letter(c)) for c in consumers]
            + [INTERREGION_UNITS, interregion_inbound(region)])
