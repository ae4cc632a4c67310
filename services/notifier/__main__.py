"""Run the notifier: `python -m services.notifier` (settings from NOTIFIER_* env)."""

from services.notifier.bootstrap import create_app
from services.notifier.settings import NotifierSettings
from shared.serve import serve

if __name__ == "__main__":
    serve(create_app, NotifierSettings(), "notifier")
