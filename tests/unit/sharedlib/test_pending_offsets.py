"""The inbox's pending offsets (shared.inbox._PendingOffsets): what is committed when, and
that a partition taken away in a rebalance is committed first and then forgotten, so a later
commit never moves its offset back behind its new owner's."""

from __future__ import annotations

from aiokafka import TopicPartition

from shared.inbox import COMMIT_EVERY_S, _PendingOffsets

A, B, C = (TopicPartition("t", n) for n in range(3))


class FakeConsumer:
    def __init__(self, owned: set[TopicPartition]) -> None:
        self.owned = owned

    def assignment(self) -> set[TopicPartition]:
        return set(self.owned)


def pending(owned: set[TopicPartition]) -> tuple[_PendingOffsets, FakeConsumer, list[dict]]:
    sent: list[dict] = []

    async def send(offsets: dict) -> None:
        sent.append(dict(offsets))
    consumer = FakeConsumer(owned)
    return _PendingOffsets(consumer, send), consumer, sent  # type: ignore[arg-type]


async def test_one_commit_carries_every_partitions_last_applied_offset() -> None:
    offsets, _, sent = pending({A, B})
    offsets.applied(A, 5)
    offsets.applied(A, 7)
    offsets.applied(B, 3)
    await offsets.commit()
    await offsets.commit()  # nothing new: nothing sent
    assert sent == [{A: 7, B: 3}]


async def test_a_revoked_partition_is_committed_then_forgotten() -> None:
    offsets, consumer, sent = pending({A, B})
    offsets.applied(A, 4)
    offsets.applied(B, 9)
    await offsets.on_partitions_revoked({A})
    consumer.owned = {B, C}  # A went to another member, which commits further
    offsets.applied(C, 2)
    await offsets.commit()
    assert sent == [{A: 4}, {B: 9, C: 2}]


async def test_offsets_of_a_partition_no_longer_owned_are_dropped() -> None:
    offsets, consumer, sent = pending({A})
    offsets.applied(A, 4)  # applied, then the partition left before any commit
    consumer.owned = set()
    await offsets.commit()
    consumer.owned = {A}  # back again later: the stale offset must not be committed
    await offsets.commit()
    assert sent == []


def test_a_commit_is_due_a_second_after_the_last(monkeypatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("shared.inbox.time.monotonic", lambda: now[0])
    offsets, _, _ = pending({A})
    assert not offsets.due()
    now[0] += COMMIT_EVERY_S
    assert offsets.due()
