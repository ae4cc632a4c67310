"""Pluggable e-ID providers for the login front door (services/identity/oidc/frontdoor.py).

A provider sends the browser away to authenticate (`begin`), and when the browser comes back
to /login/eid/return/<name> it says who that was (`complete`). Two exist:

  test_provider  built in, for development and test: its own page where the "user" types a
                 personnummer and approves, like a test BankID app (never in production)
  oidc_broker    an external OpenID Connect e-ID broker (BankID, Freja eID, ...) through
                 authlib's client: code flow with PKCE, state and nonce, id token verified
                 against the broker's JWKS"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.auth import LOA_EID


class EidError(Exception):
    """The e-ID login did not succeed (cancelled, refused, expired or tampered with)."""


@dataclass(frozen=True)
class EidIdentity:
    personnummer: str  # 12 digits, validated
    provider: str
    loa: int = LOA_EID


@dataclass(frozen=True)
class EidStart:
    redirect_url: str
    state: dict[str, Any] = field(default_factory=dict)  # kept with the login request


class EidProvider(Protocol):
    name: str  # in the return URL: /login/eid/return/<name>
    label: str  # the button text: a msgid (oidc/i18n.py), translated on the login page

    async def begin(self, request_id: str) -> EidStart: ...

    def request_id(self, params: Mapping[str, str]) -> str | None:
        """Which login request a return belongs to (then checked against the browser)."""
        ...

    async def complete(self, state: dict[str, Any], params: Mapping[str, str]) -> EidIdentity: ...
