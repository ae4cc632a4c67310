"""Every page area of the UI, in one place: add a new area's router here."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from services.gateway.ui import (
    access_log,
    auditor,
    auditor_review,
    contact_verify,
    designer,
    designer_edit,
    designer_import,
    pages,
    patient,
    patient_archive,
    patient_settings,
    patient_write,
    staff,
)
from services.gateway.ui.i18n import request_language

# `_()` in a handler (error messages made before `render`) speaks the request's language.
IN_LANGUAGE = [Depends(request_language)]


def include(app: FastAPI) -> None:
    pages.install(app)
    for area in (pages, patient, patient_archive, patient_write, patient_settings,
                 contact_verify, designer, designer_edit, designer_import, auditor,
                 auditor_review, access_log, staff):
        app.include_router(area.router, dependencies=IN_LANGUAGE)
