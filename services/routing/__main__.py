"""Run the routing worker: `python -m services.routing` (settings from ROUTING_* env).

The worker's event loops are uvloop's (mode's documented switch, made before anything else
creates a loop), as under uvicorn in the other services: with asyncio's own loop, its
selector and the wake-ups between the worker's consumer thread and its agents were most of
the worker's CPU under load (docs/capacity.md, perf9)."""

from __future__ import annotations

import mode.loop

mode.loop.use("uvloop")

import asyncio

from faust.worker import Worker

from services.routing.bootstrap import (
    CONVERSATIONS_TABLE,
    DIRECTORY_TABLE,
    changelog,
    create_app,
)
from services.routing.settings import RoutingSettings
from shared.events import topics
from shared.kafka import KafkaAuth, TopicPolicy, ensure_event_topics, ensure_topics


async def declare_topics(settings: RoutingSettings) -> None:
    """Create the topics the worker reads, and its table's changelog, before it starts: a
    changelog that faust creates itself can be missing from the metadata at the first
    partition assignment, and the table then never recovers (seen under load)."""
    policy = TopicPolicy.from_settings(settings)
    auth = KafkaAuth.from_settings(settings)
    await ensure_event_topics(settings.kafka_bootstrap_servers, list(topics.ALL), policy,
                              settings.region, auth)
    # Compacted, kept for ever: the directory is state that was sent once; so are the shared
    # directory of all regions and the record of conversations handed over to this region.
    await ensure_topics(settings.kafka_bootstrap_servers,
                        [changelog(settings.region, DIRECTORY_TABLE),
                         changelog(settings.region, CONVERSATIONS_TABLE),
                         topics.INTERREGION_UNITS], partitions=1,
                        configs={"cleanup.policy": "compact", "retention.ms": "-1"},
                        policy=policy, auth=auth)
    await ensure_topics(settings.kafka_bootstrap_servers,
                        [topics.interregion_inbound(settings.region)], policy=policy, auth=auth)


def main() -> None:
    settings = RoutingSettings()
    asyncio.run(declare_topics(settings))
    app = create_app(settings)
    logging_config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "shared.logs.JsonFormatter", "service": "routing"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": settings.log_level, "handlers": ["stderr"]},
        "loggers": {"aiokafka": {"level": "WARNING"}},
    }
    Worker(app, loglevel=settings.log_level, logging_config=logging_config,
           redirect_stdouts=False).execute_from_commandline()


if __name__ == "__main__":
    main()
