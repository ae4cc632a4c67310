"""The routing worker's faust app: built without connecting to anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from services.routing.bootstrap import create_app
from services.routing.settings import RoutingSettings


def test_a_crashed_worker_leaves_its_group_within_the_configured_session(tmp_path) -> None:
    # faust's default (60 s) kept routing idle for a minute after every SIGKILL: the worker
    # started again waited that long for its dead self to leave the consumer group.
    settings = RoutingSettings(environment="test", data_dir=tmp_path)
    assert create_app(settings).conf.broker_session_timeout == 15.0
    slower = RoutingSettings(environment="test", data_dir=tmp_path, kafka_session_timeout_s=30)
    assert create_app(slower).conf.broker_session_timeout == 30.0


def test_the_worker_runs_on_uvloop() -> None:
    # In a process of its own: the choice is process-wide (the tests' loops stay asyncio's).
    check = ("import asyncio, uvloop, services.routing.__main__; "
             "assert isinstance(asyncio.get_event_loop_policy(), uvloop.EventLoopPolicy)")
    subprocess.run([sys.executable, "-c", check], check=True, timeout=60,
                   cwd=Path(__file__).resolve().parents[3])


def test_a_send_that_hangs_fails_within_the_configured_timeout(tmp_path) -> None:
    # faust's default (20 minutes) let a send that waited for metadata or an ack stop an
    # agent silently; within 15 s it fails and the publisher logs it and sends again.
    settings = RoutingSettings(environment="test", data_dir=tmp_path)
    app = create_app(settings)
    assert app.conf.producer_request_timeout == 15.0
    assert app.producer.request_timeout == 15.0  # what the aiokafka producer is given
    longer = RoutingSettings(environment="test", data_dir=tmp_path, kafka_request_timeout_s=60)
    assert create_app(longer).producer.request_timeout == 60.0
