"""Every page area of the UI, in one place: add a new area's router here."""

from __future__ import annotations

from fastapi import FastAPI

from services.gateway.ui import (
    auditor,
    contact_verify,
    designer,
    designer_edit,
    designer_import,
    pages,
    patient,
    patient_settings,
    patient_write,
    staff,
)


def include(app: FastAPI) -> None:
    pages.install(app)
    app.include_router(pages.router)
    app.include_router(patient.router)
    app.include_router(patient_write.router)
    app.include_router(patient_settings.router)
    app.include_router(contact_verify.router)
    for area in (designer, designer_edit, designer_import, auditor, staff):
        app.include_router(area.router)
