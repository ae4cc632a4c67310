"""The provider's part of /.well-known/openid-configuration (RFC 8414 / OIDC Discovery)."""

from __future__ import annotations

from typing import Any

from services.identity.domain import AUDIENCES
from services.identity.oidc.models import ACR
from shared.auth import resource_indicator


def oidc_metadata(issuer: str, browser_url: str) -> dict[str, Any]:
    """`browser_url`: where browsers reach identity (authorize, logout), if not the issuer."""
    return {
        "authorization_endpoint": f"{browser_url}/authorize",
        "token_endpoint": f"{issuer}/token",
        "revocation_endpoint": f"{issuer}/revoke",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "end_session_endpoint": f"{browser_url}/logout",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid"],
        "claims_supported": ["sub", "kind", "loa", "units", "listed_unit", "sid", "acr",
                             "amr", "auth_time"],
        "acr_values_supported": sorted(ACR.values()),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post",
                                                  "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic",
                                                       "client_secret_post", "none"],
        # Not a registered field: the RFC 8707 resource indicators a token may be asked for
        # (one per token request; the access token's `aud` is the service's short name).
        "resource_indicators_supported": [resource_indicator(a) for a in AUDIENCES],
    }
