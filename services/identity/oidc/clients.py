"""The registered OAuth clients, from settings: there is no dynamic registration."""

from __future__ import annotations

from services.identity.oidc.models import Client
from services.identity.settings import IdentitySettings

GATEWAY = "gateway"
TEST_CLIENT = "test-client"


def registered_clients(settings: IdentitySettings) -> dict[str, Client]:
    clients = {GATEWAY: Client(
        client_id=GATEWAY, secret=settings.gateway_client_secret.get_secret_value(),
        redirect_uris=(settings.gateway_redirect_uri,),
        post_logout_redirect_uris=(settings.gateway_post_logout_redirect_uri,))}
    if settings.test_client_active:
        # Public: automated tests drive the real login pages and prove the code with PKCE.
        clients[TEST_CLIENT] = Client(client_id=TEST_CLIENT, secret=None,
                                      redirect_uris=(settings.test_client_redirect_uri,))
    return clients
