"""The agents driven through faust's test_context (no broker): records in, records out."""

import faust
import pytest

from services.routing.agents import register_agents
from services.routing.handlers import Router
from shared.events import Envelope, Source
from tests.unit.routing.helpers import raw, registration, submission


class FakePublisher:
    def __init__(self) -> None:
        self.sent = []

    async def publish(self, record) -> None:
        self.sent.append(record)


@pytest.fixture
def wiring():
    # Never started against a broker: test_context feeds the agents directly.
    app = faust.App("routing-test", broker="kafka://127.0.0.1:1", store="memory://",
                    web_enabled=False)
    app.finalize()
    directory: dict = {}
    publisher = FakePublisher()
    router = Router(directory=directory, source=Source(service="routing", region="stockholm"),
                    empty_directory_wait_s=0.05, unknown_unit_wait_s=0.01, poll_s=0.01)
    register_agents(app, router, publisher, "stockholm")
    return app, directory, publisher


async def test_agents_build_directory_and_route(wiring):
    app, directory, publisher = wiring
    async with app.agents["unit-directory"].test_context() as agent:
        await agent.put(value=raw(registration()), key=b"unit-1")
    assert "unit-1" in directory
    async with app.agents["route-submissions"].test_context() as agent:
        await agent.put(value=raw(submission()), key=b"conv-1")
        await agent.put(value=b"\x00garbage", key=b"conv-2")
    announced, routed, dead = publisher.sent
    assert announced.topic == "interregion.units"  # the own region's unit, for the others
    assert Envelope.model_validate_json(routed.value).wire_name == "routing.message_routed.v1"
    assert dead.topic == "stockholm.dlq.routing" and dead.key == b"conv-2"
