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


def test_spare_ports_lie_below_the_ephemeral_range_and_are_never_handed_out_twice(proc):
    first = ports.claim_spare_ports(3)
    second = ports.claim_spare_ports(3)
    assert len(set(first + second)) == 6
    assert all(port < 32768 for port in first + second)
    assert all(any(low <= port <= high for low, high in ports.SPARE_RANGES)
               for port in first + second)


def test_a_spare_port_someone_listens_on_is_skipped(proc, monkeypatch):
    import socket
    monkeypatch.setattr(ports, "SPARE_RANGES", ((20500, 20510),))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 20500))
        holder.listen()
        assert 20500 not in ports.claim_spare_ports(2)


def test_spare_ports_inside_the_ephemeral_range_are_not_used(proc, monkeypatch):
    proc.parent.joinpath("range").write_text("20000\t60999\n")
    monkeypatch.setattr(ports, "SPARE_RANGES", ((10990, 10999), (20100, 20999)))
    with pytest.raises(RuntimeError, match="spare ports"):
        ports.claim_spare_ports(11)
