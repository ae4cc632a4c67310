"""A form with every item type and every kind of condition, published at one unit for one
e-service through the forms API as a form designer would, for the UI's browser tests."""

from __future__ import annotations

import httpx

from tests.e2e.support import SEED, Person, eventually, staff_of

UNIT = SEED["care_units"][2]["unit_id"]
UNIT_NAME = SEED["care_units"][2]["name"]
SERVICE = "order_record_copy"


def t(sv: str, en: str) -> dict[str, str]:
    return {"sv": sv, "en": en}


def opt(code: str, sv: str, en: str) -> dict:
    return {"code": code, "text": t(sv, en)}


EVERY_TYPE = {
    "title": t("Alla frågetyper", "Every question type"),
    "description": t("Ett formulär med varje sorts fråga.", "A form with every kind of question."),
    "items": [
        {"link_id": "intro", "type": "display",
         "text": t("Svara så gott du kan.", "Answer as well as you can.")},
        {"link_id": "reason", "type": "string", "required": True,
         "text": t("Vad gäller det?", "What is it about?")},
        {"link_id": "details", "type": "text", "text": t("Berätta mer", "Tell us more")},
        {"link_id": "pain", "type": "boolean", "required": True,
         "text": t("Har du ont?", "Are you in pain?")},
        {"link_id": "pain_level", "type": "integer", "required": True, "min_value": 0,
         "max_value": 10, "text": t("Hur ont, från 0 till 10?", "How much pain, from 0 to 10?"),
         "enable_when": [{"question": "pain", "operator": "=", "answer": True}]},
        {"link_id": "temperature", "type": "decimal",
         "text": t("Kroppstemperatur", "Body temperature")},
        {"link_id": "since", "type": "date", "text": t("Sedan när?", "Since when?")},
        {"link_id": "fever_note", "type": "text",
         "text": t("Hur har febern varit?", "How has the fever been?"),
         "enable_when": [{"question": "temperature", "operator": ">=", "answer": 38},
                         {"question": "since", "operator": "exists", "answer": True}],
         "enable_behavior": "any"},
        {"link_id": "call_at", "type": "dateTime",
         "text": t("När kan vi ringa dig?", "When can we call you?")},
        {"link_id": "copy_kind", "type": "choice", "required": True,
         "text": t("Hur vill du få kopian?", "How do you want the copy?"),
         "options": [opt("digital", "Digitalt", "Digitally"), opt("paper", "På papper", "On paper")]},
        {"link_id": "address", "type": "group", "text": t("Adress", "Address"),
         "enable_when": [{"question": "copy_kind", "operator": "=", "answer": "paper"}],
         "items": [{"link_id": "street", "type": "string", "required": True,
                    "text": t("Gatuadress", "Street address")}]},
        {"link_id": "topics", "type": "choice", "repeats": True,
         "text": t("Vilka delar av journalen?", "Which parts of the record?"),
         "options": [opt("visits", "Besök", "Visits"), opt("lab", "Provsvar", "Lab results"),
                     opt("other", "Annat", "Other")]},
        {"link_id": "other_topic", "type": "string", "required": True,
         "text": t("Vilka andra delar?", "Which other parts?"),
         "enable_when": [{"question": "topics", "operator": "=", "answer": "other"}]},
        {"link_id": "not_digital", "type": "display",
         "text": t("Kopian skickas med post.", "The copy is sent by post."),
         "enable_when": [{"question": "copy_kind", "operator": "!=", "answer": "digital"},
                         {"question": "copy_kind", "operator": "exists", "answer": True}]},
        {"link_id": "photo", "type": "attachment", "text": t("Bild", "Picture")},
    ],
}


async def publish_every_type_form(gateway: str) -> None:
    """Idempotent within a test session: the same definition published again is the same
    version."""
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as http:
        designer = await Person.login(http, hsa_id=staff_of(UNIT, "form_designer")[0]["hsa_id"])

        async def form_id():
            r = await designer.forms("GET", f"/v1/units/{UNIT}/forms")
            found = [f for f in r.json() if f["service_type"] == SERVICE] \
                if r.status_code == 200 else []
            return found[0]["form_id"] if found else None
        fid = await eventually(form_id, timeout=60, what="the unit's provisioned form")
        put = await designer.forms("PUT", f"/v1/forms/{fid}/draft",
                                   json={"definition": EVERY_TYPE})
        assert put.status_code == 200, put.text
        published = await designer.forms("POST", f"/v1/forms/{fid}/publish")
        assert published.status_code in (200, 201), published.text
        version = published.json()["version"]
        patient = await Person.login(http, personnummer=SEED["patients"][5]["personnummer"])

        async def offered():
            r = await patient.patient("GET", f"/v1/units/{UNIT}/services")
            offers = {o["service_type"]: o for o in r.json()} if r.status_code == 200 else {}
            return offers.get(SERVICE, {}).get("form_version") == version
        await eventually(offered, timeout=60, what="the patient mailbox offering the new form")
