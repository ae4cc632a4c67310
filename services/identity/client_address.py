"""Which address a request comes from, for throttling patient logins, activations and letter
requests per client (lockout.py).

Two ways reach identity: browsers come to the login pages (/authorize, /login/..., the test
e-ID) directly, after the gateway's redirect, so the peer is the browser (or an ingress in
front of identity); the JSON API (/v1/patients/...) comes through the gateway's proxy, which
appends the address it saw to X-Forwarded-For. Anyone can send that header, so it is read
only when the peer is a trusted proxy (IDENTITY_TRUSTED_PROXIES), and then from the right:
each trusted proxy appended the address it saw, so the right-most hop that is not itself a
trusted proxy is the client; everything left of it was written by the client and may be
anything."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from starlette.requests import Request

Network = IPv4Network | IPv6Network
LOOPBACK = ("127.0.0.0/8", "::1/128")


def networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR ranges; raises ValueError naming a malformed one."""
    return tuple(ip_network(v.strip(), strict=False) for v in values if v.strip())


def _address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address | None, trusted: Sequence[Network]) -> bool:
    return address is not None and any(address in net for net in trusted)


def resolve(peer: str | None, forwarded_for: Sequence[str],
            trusted: Sequence[Network]) -> str | None:
    """The client's address: the peer, or behind trusted proxies the right-most untrusted
    X-Forwarded-For hop (`forwarded_for`: every X-Forwarded-For header, in order)."""
    if peer is None or not _trusted(_address(peer), trusted):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    nearest = peer  # the closest hop known to be a trusted proxy's word
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # not an address: nothing to the left can be believed either
            return nearest
        if not _trusted(address, trusted):
            return str(address)
        nearest = str(address)
    return nearest  # every hop a trusted address: the left-most is the client


def of(request: Request, trusted: Sequence[Network]) -> str | None:
    peer = request.client.host if request.client else None
    return resolve(peer, request.headers.getlist("x-forwarded-for"), trusted)
