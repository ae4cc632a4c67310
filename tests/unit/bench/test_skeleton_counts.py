"""The skeleton baseline does per workflow what the calibration counted: the same commits in
all, the consumers' share applying as many records per transaction as the real ones did."""

from __future__ import annotations

from bench.skeleton_load import Counts


def test_the_consumers_share_of_the_commits_sets_the_records_per_transaction():
    counts = Counts(requests=8, internal_calls=1, commits=31, round_trips=42,
                    consumer_commits=10)
    assert counts.records_per_commit() == 4
    plan = counts.spread()
    consumer_transactions = -(-42 // 4)  # 11: the last one takes the 2 left over
    assert sum(p["commits"] for p in plan) + consumer_transactions == 31
    assert sum(p["events"] for p in plan) == 42
    assert sum(p["calls"] for p in plan) == 1
    assert len(plan) == 8


def test_without_the_consumers_share_every_record_is_a_transaction_of_its_own():
    counts = Counts(requests=8, internal_calls=1, commits=50, round_trips=42)
    assert counts.records_per_commit() == 1
    assert sum(p["commits"] for p in counts.spread()) == 50 - 42


def test_more_consumer_transactions_than_records_means_one_record_each():
    counts = Counts(requests=8, internal_calls=0, commits=60, round_trips=42,
                    consumer_commits=50)
    assert counts.records_per_commit() == 1
    assert sum(p["commits"] for p in counts.spread()) == 60 - 42
