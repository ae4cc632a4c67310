"""`python -m services.identity`: serve identity on IDENTITY_HTTP_PORT."""

from services.identity.bootstrap import SERVICE, create_app
from services.identity.settings import IdentitySettings
from shared.serve import serve

if __name__ == "__main__":
    serve(create_app, IdentitySettings(), SERVICE)
