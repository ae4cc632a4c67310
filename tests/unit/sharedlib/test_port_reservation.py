"""devstack.ports: a stack's port block is taken out of the kernel's ephemeral range, so an
outgoing connection cannot hold a port the stack is about to listen on."""

from __future__ import annotations

import pytest

from devstack import ports


@pytest.fixture
def proc(tmp_path, monkeypatch):
    reserved, ephemeral = tmp_path / "reserved", tmp_path / "range"
    reserved.write_text("\n")
    ephemeral.write_text("32768\t60999\n")
    monkeypatch.setattr(ports, "RESERVED_PORTS", reserved)
    monkeypatch.setattr(ports, "EPHEMERAL_RANGE", ephemeral)
    return reserved


def test_a_block_in_the_ephemeral_range_is_reserved_once(proc):
    assert ports.reserve_block(30000)
    assert proc.read_text() == "31000-39999"
    assert ports.reserve_block(30000)  # already covered: not written again
    assert proc.read_text() == "31000-39999"


def test_a_block_is_added_to_what_is_reserved_already(proc):
    proc.write_text("45000-45010\n")
    assert ports.reserve_block(50000)
    assert proc.read_text() == "45000-45010,51000-59999"


def test_a_block_below_the_ephemeral_range_needs_nothing(proc):
    assert ports.reserve_block(20000)  # 21000-29999: never chosen for outgoing connections
    assert proc.read_text() == "\n"


def test_a_merged_range_covers_the_block():
    assert ports._covered("30000-40000,50000", 31000, 39999)
    assert not ports._covered("31000-35000,36000-39999", 31000, 39999)


def test_without_the_setting_it_says_so(proc, monkeypatch, tmp_path):
    monkeypatch.setattr(ports, "RESERVED_PORTS", tmp_path / "absent" / "reserved")
    assert not ports.reserve_block(30000)
