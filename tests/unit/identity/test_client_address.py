"""The client address identity throttles by: X-Forwarded-For is believed only from trusted
proxies, and then read from the right, so a spoofed header changes nothing."""

from __future__ import annotations

import base64
import os

import pytest
from starlette.requests import Request

from services.identity import client_address
from services.identity.client_address import networks, resolve
from services.identity.settings import IdentitySettings

RANDOM_KEK = base64.urlsafe_b64encode(os.urandom(32)).decode()
GATEWAY = networks(["10.0.0.5"])
GATEWAY_AND_INGRESS = networks(["10.0.0.5", "10.1.0.0/16"])


@pytest.mark.parametrize(("peer", "header", "trusted", "expected"), [
    ("203.0.113.9", [], GATEWAY, "203.0.113.9"),
    # From an untrusted peer the header is anyone's word: ignored, whatever it says.
    ("203.0.113.9", ["198.51.100.1"], GATEWAY, "203.0.113.9"),
    ("203.0.113.9", ["10.0.0.5"], GATEWAY, "203.0.113.9"),
    # Through the gateway: the address it appended, not what the client put before it.
    ("10.0.0.5", ["192.0.2.7"], GATEWAY, "192.0.2.7"),
    ("10.0.0.5", ["198.51.100.1, 192.0.2.7"], GATEWAY, "192.0.2.7"),
    ("10.0.0.5", ["198.51.100.1", "192.0.2.7"], GATEWAY, "192.0.2.7"),  # two headers
    # Several trusted hops (an ingress, then the gateway): the right-most untrusted one.
    ("10.0.0.5", ["198.51.100.1, 192.0.2.7, 10.1.4.2"], GATEWAY_AND_INGRESS, "192.0.2.7"),
    # A trusted proxy with no header, or a client inside the trusted range itself.
    ("10.0.0.5", [], GATEWAY, "10.0.0.5"),
    ("10.0.0.5", ["10.1.4.2"], GATEWAY_AND_INGRESS, "10.1.4.2"),
    # Garbage in the chain: nothing left of it is believed.
    ("10.0.0.5", ["198.51.100.1, not-an-address"], GATEWAY, "10.0.0.5"),
    ("10.0.0.5", ["198.51.100.1, not-an-address, 10.1.4.2"], GATEWAY_AND_INGRESS, "10.1.4.2"),
    ("10.0.0.5", [" 2001:db8::1 "], GATEWAY, "2001:db8::1"),
    # Nothing trusted (production's default): the peer, always.
    ("10.0.0.5", ["192.0.2.7"], (), "10.0.0.5"),
    (None, ["192.0.2.7"], GATEWAY, None),
])
def test_resolve(peer, header, trusted, expected) -> None:
    assert resolve(peer, header, trusted) == expected


def test_reads_every_header_of_a_request() -> None:
    request = Request({"type": "http", "client": ("10.0.0.5", 1234), "headers": [
        (b"x-forwarded-for", b"192.0.2.7"), (b"x-forwarded-for", b"198.51.100.3")]})
    assert client_address.of(request, GATEWAY) == "198.51.100.3"


@pytest.mark.parametrize(("environment", "trusted_loopback"), [
    ("development", True), ("test", True), ("production", False)])
def test_loopback_is_trusted_by_default_only_outside_production(environment,
                                                                 trusted_loopback) -> None:
    settings = IdentitySettings(environment=environment, key_encryption_key=RANDOM_KEK,
                                internal_caller_notifier="n", internal_caller_operator="o",
                                internal_caller_audit="a",
                                gateway_client_secret="s", kafka_password="a-real-kafka-password")
    assert resolve("127.0.0.1", ["192.0.2.7"], settings.trusted_proxy_networks) == (
        "192.0.2.7" if trusted_loopback else "127.0.0.1")


def test_trusted_proxies_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("IDENTITY_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16")
    settings = IdentitySettings(environment="production", key_encryption_key=RANDOM_KEK,
                                internal_caller_notifier="n", internal_caller_operator="o",
                                internal_caller_audit="a",
                                gateway_client_secret="s", kafka_password="a-real-kafka-password")
    assert settings.trusted_proxy_networks == GATEWAY_AND_INGRESS
    monkeypatch.setenv("IDENTITY_TRUSTED_PROXIES", "")
    assert IdentitySettings(environment="test").trusted_proxy_networks == ()
    monkeypatch.setenv("IDENTITY_TRUSTED_PROXIES", "gateway")
    with pytest.raises(ValueError):
        IdentitySettings(environment="test")
