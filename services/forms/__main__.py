"""`python -m services.forms`: serve forms on FORMS_HTTP_PORT (8002)."""

from services.forms.bootstrap import SERVICE, create_app
from services.forms.settings import FormsSettings
from shared.serve import serve

if __name__ == "__main__":
    serve(create_app, FormsSettings(), SERVICE)
