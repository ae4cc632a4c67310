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
that no other process on the machine uses."""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

RESERVED_PORTS = Path("/proc/sys/net/ipv4/ip_local_reserved_ports")
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST, HIGHEST = 1000, 9999  # what a block may use above its base (with regions' offsets)
_held_locks: list[int] = []


def claim_block(base_port: int) -> bool:
    """Takes the block for this process (an flock on /tmp/devstack-ports-<base>.lock, held
    until the process ends); False when another process holds it."""
    fd = os.open(Path(tempfile.gettempdir()) / f"devstack-ports-{base_port}.lock",
                 os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    _held_locks.append(fd)
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
