"""Names shown for the services' codes (e-service types, conversation statuses)."""

from __future__ import annotations

from services.gateway.ui.i18n import _, _l

SERVICE_TYPES = {
    "book_appointment": _l("Book an appointment"),
    "change_appointment": _l("Change or cancel an appointment"),
    "renew_prescription": _l("Renew a prescription"),
    "renew_sick_leave": _l("Renew a sick-leave certificate"),
    "order_record_copy": _l("Order a copy of your medical records"),
    "advice": _l("Get advice"),
    "change_care_centre": _l("Change care centre"),
}
STATUSES = {
    # Today's statuses of patient-mailbox, and those of the reply workflow.
    "submitted": _l("Sent"), "sent": _l("Sent"), "routed": _l("Received by the unit"),
    "received": _l("Received by the unit"), "in_progress": _l("Being handled"),
    "answered": _l("Answered"), "closed": _l("Closed"),
    "undeliverable": _l("Could not be delivered"),
}


def service_name(code: str) -> str:
    return _(SERVICE_TYPES[code]) if code in SERVICE_TYPES else code


def status_name(code: str | None) -> str:
    return _(STATUSES[code]) if code in STATUSES else (code or "")
