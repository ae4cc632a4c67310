"""A complete, valid answer set for every built-in template (QuestionnaireResponse shape):
what the demo data, the benchmarks and the tests fill the forms in with."""

from typing import Any


def ans(link_id: str, *values: dict[str, Any]) -> dict[str, Any]:
    return {"linkId": link_id, "answer": list(values)}


def s(value: str) -> dict[str, Any]:
    return {"valueString": value}


def code(value: str) -> dict[str, Any]:
    return {"valueCoding": {"code": value}}


def grp(link_id: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"linkId": link_id, "item": list(items)}


def response(*items: dict[str, Any], questionnaire: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "status": "completed",
                           "item": list(items)}
    if questionnaire:
        out["questionnaire"] = questionnaire
    return out


CONTACT_PHONE = grp("contact", ans("contact.method", code("phone")),
                    ans("contact.phone", s("070-123 45 67")))
CONTACT_MESSAGE = grp("contact", ans("contact.method", code("message")))

SAMPLES: dict[str, dict[str, Any]] = {
    "book_appointment": response(
        ans("reason", s("Ont i knät sedan tre veckor, svårt att gå i trappor.")),
        ans("duration", code("weeks")), ans("visit_type", code("clinic")),
        grp("preferred", ans("preferred.days", code("mon"), code("thu")),
            ans("preferred.time", code("morning")),
            ans("preferred.earliest", {"valueDate": "2025-03-10"})),
        ans("interpreter", {"valueBoolean": True}), ans("interpreter_language", s("arabiska")),
        ans("photo", {"valueAttachment": {"url": "attachment:0190a1b2", "size": 120_000,
                                          "contentType": "image/jpeg", "title": "knä.jpg"}}),
        ans("photo_note", s("Svullnad på insidan av knät")),
        CONTACT_PHONE),
    "change_appointment": response(
        ans("action", code("reschedule")),
        grp("booked", ans("booked.when", {"valueDateTime": "2025-03-12T09:30:00+01:00"}),
            ans("booked.with", s("Dr. Lind, Vårdcentralen Gärdet"))),
        grp("new_time", ans("new_time.days", code("fri"))),
        CONTACT_MESSAGE),
    "renew_prescription": response(
        grp("medication", ans("medication.name", s("Levaxin")),
            ans("medication.strength", s("50 mikrogram")), ans("medication.dose", s("1 x 1"))),
        grp("medication", ans("medication.name", s("Enalapril")),
            ans("medication.strength", s("10 mg"))),
        ans("side_effects", {"valueBoolean": False}),
        ans("pharmacy_notes", {"valueString": "Helst 100-pack.\nTack!"}),
        CONTACT_MESSAGE),
    "renew_sick_leave": response(
        grp("current", ans("current.from", {"valueDate": "2025-02-01"}),
            ans("current.to", {"valueDate": "2025-02-28"}), ans("current.extent", code("50"))),
        ans("occupation", s("Undersköterska")),
        ans("work_ability", s("Kan inte lyfta eller stå länge på grund av ryggsmärta.")),
        ans("progress", code("worse")), ans("progress_worse", s("Mer smärta på nätterna.")),
        ans("days_needed", {"valueInteger": 30}), ans("rehab_contact", {"valueBoolean": True}),
        CONTACT_PHONE),
    "order_record_copy": response(
        ans("period", code("range")),
        grp("range", ans("range.from", {"valueDate": "2020-01-01"}),
            ans("range.to", {"valueDate": "2024-12-31"})),
        ans("parts", code("lab"), code("other")), ans("parts_other", s("Vaccinationer")),
        ans("delivery", code("pickup"))),
    "advice": response(
        grp("screening", ans("screening.severe", {"valueBoolean": False})),
        ans("recipient", code("nurse")),
        ans("symptoms", s("Hosta och halsont sedan fem dagar.")),
        ans("duration", code("days")), ans("fever", {"valueBoolean": True}),
        ans("temperature", {"valueDecimal": 38.4}), ans("pain", {"valueInteger": 4}),
        ans("tried", s("Alvedon och vila.")),
        CONTACT_MESSAGE),
    "change_care_centre": response(
        ans("change", code("both")), ans("new_centre", s("Vårdcentralen Solna")),
        ans("new_doctor", s("Dr. Berg")), ans("from_date", {"valueDate": "2025-04-01"}),
        ans("confirm", {"valueBoolean": True})),
}
