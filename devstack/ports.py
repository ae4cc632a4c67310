"""Keeping a stack's fixed ports away from the kernel's outgoing connections.

A stack listens on fixed ports (base + 1025 … base + 9193, see StackConfig.port). The port
blocks above about 23,000 fall inside Linux's ephemeral range (32768–60999 by default), from
which every outgoing connection takes its local port: with a few hundred connections open
(pools, Kafka clients), one of them now and then holds a port a process is about to listen
on, and that process fails with "address already in use" (seen in the benchmarks, whose
block is 30000). Reserving the block (`net.ipv4.ip_local_reserved_ports`) takes it out of
the automatic choice; explicit binds are unaffected. The setting is system-wide until the
next boot and needs root; without it the block is used as before. Every stack reserves its
block when it starts (devstack.parts), whoever chose it; claim_block is for choosing one
that no other process on the machine uses. A process that publishes only a few ports of its
own (the compose test) takes them from the spare ranges between the blocks instead
(claim_spare_ports)."""

from __future__ import annotations

import fcntl
import os
import socket
import tempfile
from pathlib import Path

RESERVED_PORTS = Path("/proc/sys/net/ipv4/ip_local_reserved_ports")
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST, HIGHEST = 1000, 9999  # what a block may use above its base (with regions' offsets)
# base + 0 … 999 of every block is never used by a stack; these gaps lie below the ephemeral
# range, so no outgoing connection is ever given one of their ports.
SPARE_RANGES = ((10100, 10999), (20100, 20999), (30100, 30999))
_held_locks: list[int] = []


def _lock(name: str) -> bool:
    fd = os.open(Path(tempfile.gettempdir()) / name, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    _held_locks.append(fd)
    return True


def claim_block(base_port: int) -> bool:
    """Takes the block for this process (an flock on /tmp/devstack-ports-<base>.lock, held
    until the process ends); False when another process holds it."""
    return _lock(f"devstack-ports-{base_port}.lock")


def claim_spare_ports(count: int) -> list[int]:
    """`count` ports from the spare ranges, each free to listen on now and held for this
    process (an flock per port, so two test sessions never pick the same one). A port chosen
    by binding port 0 lands in the ephemeral range instead, where an outgoing connection can
    take it between the choice and the listen ("address already in use")."""
    ephemeral_low = int(EPHEMERAL_RANGE.read_text().split()[0])
    chosen: list[int] = []
    for low, high in SPARE_RANGES:
        for port in range(low, min(high, ephemeral_low - 1) + 1):
            if _listenable(port) and _lock(f"devstack-port-{port}.lock"):
                chosen.append(port)
                if len(chosen) == count:
                    return chosen
    raise RuntimeError(f"only {len(chosen)} of {count} spare ports are free in {SPARE_RANGES}")


def _listenable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def block_range(base_port: int) -> tuple[int, int]:
    return base_port + LOWEST, base_port + HIGHEST


def reserve_block(base_port: int) -> bool:
    """True when the block is out of the ephemeral range (reserved now or before, or not in
    it at all); False when it could not be reserved (not root, no such setting)."""
    first, last = block_range(base_port)
    try:
        low, high = (int(x) for x in EPHEMERAL_RANGE.read_text().split())
        if last < low or first > high:
            return True
        current = RESERVED_PORTS.read_text().strip()
        if _covered(current, first, last):
            return True
        RESERVED_PORTS.write_text(",".join(filter(None, [current, f"{first}-{last}"])))
        return _covered(RESERVED_PORTS.read_text().strip(), first, last)
    except (OSError, ValueError):
        return False


def _covered(reserved: str, first: int, last: int) -> bool:
    """The kernel keeps the list merged ("30000-30010,38000-39999"), so one range covers a
    reserved block."""
    for part in filter(None, reserved.split(",")):
        low, _, high = part.partition("-")
        if int(low) <= first and int(high or low) >= last:
            return True
    return False
