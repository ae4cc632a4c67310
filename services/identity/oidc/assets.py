"""The login pages' design system, served by identity itself (its own origin; its CSP allows
only 'self'): GOV.UK Frontend from npm's node_modules (settings.assets_dir) and the pages'
own CSS and script (services/identity/static), never from a CDN. The paths are the
gateway's, so both origins' pages are built alike; the GOV.UK stylesheet refers to
/assets/images/ and /assets/fonts/."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.identity.settings import IdentitySettings

OWN = Path(__file__).resolve().parents[1] / "static"


def mount(app: FastAPI, settings: IdentitySettings) -> None:
    govuk = settings.assets_dir / "govuk-frontend" / "dist" / "govuk"
    app.mount("/assets/ui", StaticFiles(directory=OWN), name="identity-ui-assets")
    if govuk.is_dir():  # absent only where `npm ci` has not run (unit tests of the API)
        app.mount("/assets/images", StaticFiles(directory=govuk / "assets" / "images"))
        app.mount("/assets/fonts", StaticFiles(directory=govuk / "assets" / "fonts"))
        app.mount("/assets/govuk", StaticFiles(directory=govuk), name="govuk")
