"""The seven built-in forms, one per e-service; a unit's first draft starts from these."""

from services.forms.domain.model import FormDefinition, check_definition
from services.forms.library.administrative import CHANGE_CARE_CENTRE, ORDER_RECORD_COPY
from services.forms.library.appointments import BOOK_APPOINTMENT, CHANGE_APPOINTMENT
from services.forms.library.clinical import ADVICE, RENEW_PRESCRIPTION, RENEW_SICK_LEAVE

BUILTIN: dict[str, FormDefinition] = {
    service: check_definition(form) for service, form in {
        "book_appointment": BOOK_APPOINTMENT,
        "change_appointment": CHANGE_APPOINTMENT,
        "renew_prescription": RENEW_PRESCRIPTION,
        "renew_sick_leave": RENEW_SICK_LEAVE,
        "order_record_copy": ORDER_RECORD_COPY,
        "advice": ADVICE,
        "change_care_centre": CHANGE_CARE_CENTRE,
    }.items()
}
