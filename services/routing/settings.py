"""Settings of the routing worker (env prefix ROUTING_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.kafka import PRODUCER_REQUEST_TIMEOUT_MS
from shared.settings import ServiceSettings


class RoutingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTING_", extra="ignore")

    # faust keeps its local state (table offsets, worker lock) here; the directory itself
    # lives in memory and is rebuilt from its changelog topic at start.
    data_dir: Path = Path(".routing-data")
    # identity registers every unit at its start, long before patients submit; a worker that
    # has just started may not have read them yet, so a submission waits this long for an
    # empty directory to fill before calling the message unroutable.
    empty_directory_wait_s: float = 15.0
    # A unit missing from a loaded directory may still be a registration in flight: its
    # submissions wait this long for it (routing_submissions_waiting_for_unit counts them)
    # before they are called unroutable. Stay below faust's broker_max_poll_interval (1000 s).
    unknown_unit_wait_s: float = 600.0
    # How long the broker waits for a silent worker before it gives the worker's partitions
    # to another (faust's broker_session_timeout, 60 s by default). A worker started again
    # after a crash waits this long for its dead self to leave the group, and nothing is
    # routed meanwhile (60 s per routing kill in the fault suite). Heartbeats go every 3 s
    # from faust's consumer thread, so a busy event loop does not miss them.
    kafka_session_timeout_s: float = Field(default=15.0, ge=6, le=90)
    # How long one send may wait for the topic's metadata and the broker's ack before it
    # fails and the publisher (agents.Publisher) logs it and sends again. faust's default is
    # 20 minutes, during which an agent whose send hangs stops without a word: after one
    # cold start the directory's and the offers' agents each took one record and were still
    # waiting 105 s later, so no unit's registration after it was read and every submission
    # waited for its unit. The same as the other services' producers (shared.kafka).
    # The hand-back consumer's fetches (services.routing.handback; faust fixes its agents'
    # own): the broker holds them until this much has come or a second has passed, as the
    # notifier's and identity's. Five records per conversation, almost all not routing's.
    consume_fetch_min_bytes: int = Field(default=16 * 1024, ge=1, le=1024 * 1024)
    kafka_request_timeout_s: float = Field(default=PRODUCER_REQUEST_TIMEOUT_MS / 1000,
                                           ge=5, le=300)
