"""Settings of the routing worker (env prefix ROUTING_)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

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
