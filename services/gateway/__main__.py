"""`python -m services.gateway`: serve the gateway on GATEWAY_HTTP_PORT."""

from services.gateway.bootstrap import SERVICE, create_app
from services.gateway.settings import GatewaySettings
from shared.serve import serve

if __name__ == "__main__":
    serve(create_app, GatewaySettings(), SERVICE)
