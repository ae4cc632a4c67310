"""Who a session's person is *now*, read from the catalogue at every token issue, so that a
membership change (or a patient's listing, from the population register) reaches the next
access token and a revoked person gets none (sync SQL)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, select

from services.identity import domain
from services.identity.catalogue.tables import catalogue_staff
from services.identity.patients.tables import population_register
from services.identity.tables import memberships, patients, staff


def current_subject(conn: Connection, session: Any) -> domain.Subject | None:
    try:
        pseudonym = uuid.UUID(session.subject)
    except ValueError:
        return None
    if session.kind == "patient":
        found = conn.execute(
            select(patients.c.patient_id, population_register.c.listed_unit)
            .join(population_register,
                  population_register.c.personnummer == patients.c.personnummer, isouter=True)
            .where(patients.c.patient_id == pseudonym)).first()
        return domain.patient_subject(session.subject, session.loa,
                                      found.listed_unit) if found else None
    row = conn.execute(select(staff.c.profession)
                       .join(catalogue_staff, catalogue_staff.c.staff_id == staff.c.staff_id)
                       .where(staff.c.staff_id == pseudonym, catalogue_staff.c.active)).first()
    if row is None:
        return None
    units = {r.unit_id: list(r.roles) for r in conn.execute(
        select(memberships.c.unit_id, memberships.c.roles)
        .where(memberships.c.staff_id == pseudonym).order_by(memberships.c.unit_id))}
    return domain.staff_subject(session.subject, row.profession, units)
