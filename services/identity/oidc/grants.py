"""The grants and endpoints registered on the Provider (server.py).

- authorization code, PKCE required for every client and S256 only; the code is consumed
  when it is read, so it works once (a second use revokes the session it started)
- refresh token with rotation: every refresh returns a new refresh token; presenting a used
  one revokes the whole family (the session) and answers invalid_grant
- RFC 8707 `resource` on both: one audience per access token
- revocation (RFC 7009) of a refresh token ends its session; RP-initiated logout does the
  same for the session named by the id token's `sid`"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, OAuth2Error, grants
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from authlib.oidc.rpinitiated import EndSessionEndpoint

from services.identity import domain
from services.identity.oidc import store
from shared.auth import audience_of_resource

DEFAULT_AUDIENCE = "identity"  # enough for /userinfo; name a resource for anything else
CLIENT_AUTH = ["client_secret_basic", "client_secret_post", "none"]


class InvalidTargetError(OAuth2Error):
    error = "invalid_target"  # RFC 8707 §2


def requested_audience(request: Any) -> str:
    values = request.payload.datalist.get("resource", [])
    if len(values) > 1:
        raise InvalidTargetError("one resource per token request: a token has one audience")
    if not values:
        return DEFAULT_AUDIENCE
    audience = audience_of_resource(values[0])
    if audience not in domain.AUDIENCES:
        raise InvalidTargetError("unknown resource")
    return str(audience)


class _AudienceTokens:
    request: Any
    server: Any

    def generate_token(self, user: Any = None, scope: str | None = None, grant_type: Any = None,
                       expires_in: Any = None, include_refresh_token: bool = True) -> dict:
        return self.server.issue_tokens(self.request, user, scope, include_refresh_token)

    def _user(self, sid: str) -> Any:
        user = self.server.login_user(sid)
        if user is None:
            raise InvalidGrantError("the login has ended")
        return user


class CodeGrant(_AudienceTokens, grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH

    def validate_token_request(self) -> None:
        self.request.audience = requested_audience(self.request)
        super().validate_token_request()

    def save_authorization_code(self, code: str, request: Any) -> None:
        settings = self.server.settings
        with self.server.db.begin() as conn:
            sid = store.create_session(conn, request.user, request.client.get_client_id(),
                                       timedelta(seconds=settings.session_ttl_s))
            store.save_code(conn, code, sid=sid, client_id=request.client.get_client_id(),
                            redirect_uri=request.payload.redirect_uri, scope=request.scope,
                            data=request.payload.data,
                            ttl=timedelta(seconds=settings.authorization_code_ttl_s))

    def query_authorization_code(self, code: str, client: Any) -> Any:
        with self.server.db.begin() as conn:
            return store.consume_code(conn, code, client.get_client_id())

    def delete_authorization_code(self, authorization_code: Any) -> None:
        pass  # consumed (marked used) when it was read

    def authenticate_user(self, authorization_code: Any) -> Any:
        return self._user(authorization_code.sid)


class RefreshGrant(_AudienceTokens, grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation

    def validate_token_request(self) -> None:
        # Before the refresh token is consumed: a bad resource must not burn it.
        self.request.audience = requested_audience(self.request)
        super().validate_token_request()

    def authenticate_refresh_token(self, refresh_token: str) -> Any:
        with self.server.db.begin() as conn:
            return store.consume_refresh_token(conn, refresh_token,
                                               self.request.client.get_client_id())

    def authenticate_user(self, refresh_token: Any) -> Any:
        return self._user(refresh_token.sid)

    def revoke_old_credential(self, refresh_token: Any) -> None:
        pass  # consumed (marked used) when it was read


class S256Challenge(CodeChallenge):
    """PKCE for every client, confidential ones too (RFC 9700 §2.1.1), and only S256."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ("S256",)
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256)")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)


class IdTokens(OpenIDCode):
    def __init__(self, server: Any) -> None:
        super().__init__(require_nonce=False)
        self._server = server

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        with self._server.db.connect() as conn:
            return store.nonce_used(conn, request.payload.client_id, nonce)

    def generate_user_info(self, user: Any, scope: str) -> dict[str, Any]:
        return {"sub": user.who.subject}

    def encode_id_token(self, token: dict[str, Any], request: Any) -> str:
        return self._server.sign_id_token(token, request)


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        # Access tokens are self-contained and live minutes: only refresh tokens (and with
        # them the whole login) can be revoked. Unknown tokens get 200, as RFC 7009 says.
        with self.server.db.connect() as conn:
            return store.find_refresh_token(conn, token_string)

    def revoke_token(self, token: Any, request: Any) -> None:
        with self.server.db.begin() as conn:
            store.revoke_session(conn, token.sid, "revoked_by_client")


class EndSession(EndSessionEndpoint):
    def get_server_jwks(self) -> dict[str, Any]:
        return self.server.jwks()

    def get_algorithms(self) -> list[str]:
        return ["ES256"]

    def end_session(self, end_session_request: Any) -> None:
        claims = end_session_request.id_token_claims or {}
        # Our own id tokens only: signed by us (checked), issued by us, naming a session.
        if claims.get("iss") != self.server.issuer or not claims.get("sid"):
            return
        with self.server.db.begin() as conn:
            store.revoke_session(conn, str(claims["sid"]), "logout")
