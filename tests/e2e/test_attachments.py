"""Attachments across the running services (real Kafka and PostgreSQL): a patient sends a
PDF and a JPEG carrying EXIF GPS; the unit receives both, the image without its metadata,
and its downloads are audited; a renamed executable and a file over the limit are refused
with a reason naming them and nothing stored; the clinician answers a record-extract
request with the extract attached and the patient downloads it; no attachment byte (not
even sealed) is in any Kafka record: they travel by claim check."""

from __future__ import annotations

import base64
import io
import uuid

import httpx
import psycopg
import pytest
from pypdf import PdfReader, PdfWriter

from tests import samplefiles
from tests.e2e import inspect
from tests.e2e.support import SEED, Person, eventually, staff_of

pytestmark = pytest.mark.e2e

U = SEED["care_units"][1]["unit_id"]  # TEST2
PATIENT = "197702248241"  # Ludvig: in the register, used by no other test
OTHER = "198510309035"


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=60) as client:
        yield client


def marked_pdf(marker: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": marker})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def upload(person: Person, name: str, data: bytes, *, unit: str | None = None):
    if unit is None:
        return await person.patient("POST", "/v1/attachments", params={"filename": name},
                                    content=data)
    return await person.unit("POST", f"/v1/units/{unit}/attachments",
                             params={"filename": name}, content=data)


async def rows(stack, server: str, database: str, sql: str, *args) -> list[tuple]:
    dsn = stack.cfg.database_url(server, database).replace("+psycopg", "")
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        return await (await conn.execute(sql, args)).fetchall()


async def test_files_travel_checked_stripped_sealed_and_off_kafka(stack, http):
    marker = f"ATTACH-{uuid.uuid4().hex}"
    admin = await Person.login(http, hsa_id=staff_of(U, "message_administrator")[0]["hsa_id"])
    clinician = await Person.login(http, hsa_id=staff_of(U, "clinician")[0]["hsa_id"])
    patient = await Person.login(http, personnummer=PATIENT)
    other = await Person.login(http, personnummer=OTHER)
    count_sql = "SELECT count(*) FROM attachments WHERE owner_id = %s"
    before = (await rows(stack, "patient", "patient_mailbox", count_sql, patient.id))[0][0]

    # Refused before anything is stored, each with a reason that names the file.
    elf = await upload(patient, "journal.pdf", samplefiles.elf())
    assert elf.status_code == 422 and elf.json()["detail"].startswith(
        "journal.pdf: the content is not a PDF, JPEG or PNG"), elf.text
    big = await upload(patient, "stor.pdf", b"%PDF-" + bytes(10 * 1024 * 1024))
    assert big.status_code == 413 and "stor.pdf" in big.json()["detail"], big.text
    assert (await rows(stack, "patient", "patient_mailbox", count_sql, patient.id))[0][0] \
        == before

    pdf, jpeg = marked_pdf(marker), samplefiles.jpeg_with_gps()
    up_pdf, up_jpeg = await upload(patient, "remiss.pdf", pdf), \
        await upload(patient, "utslag.jpg", jpeg)
    assert up_pdf.status_code == up_jpeg.status_code == 201, (up_pdf.text, up_jpeg.text)
    ids = [up_pdf.json()["attachment_id"], up_jpeg.json()["attachment_id"]]
    assert up_jpeg.json()["media_type"] == "image/jpeg"
    # Someone else's upload cannot be sent: nothing of that message is stored.
    stolen = await other.submit(U, "order_record_copy", marker=marker, attachment_ids=ids[:1])
    assert stolen.status_code == 422 and "not an upload of yours" in stolen.text
    sent = await patient.submit(U, "order_record_copy", marker=marker, attachment_ids=ids)
    assert sent.status_code == 201, sent.text
    message_id, conversation_id = sent.json()["message_id"], sent.json()["conversation_id"]
    reuse = await patient.submit(U, "order_record_copy", attachment_ids=ids[:1])
    assert reuse.status_code == 422, reuse.text  # an upload goes with one message only

    # The unit has both files; downloads are access records like opens.
    async def listed():
        r = await admin.unit("POST", f"/v1/messages/{message_id}/open")
        return r.json() if r.status_code == 200 else None
    opened = await eventually(listed, what="the message at the unit")
    refs = opened["messages"][0]["attachments"]
    assert [(a["filename"], a["media_type"]) for a in refs] == [
        ("remiss.pdf", "application/pdf"), ("utslag.jpg", "image/jpeg")]
    got_pdf = await admin.unit("POST", f"/v1/messages/{message_id}/attachments/{ids[0]}/download")
    assert got_pdf.status_code == 200 and got_pdf.content == pdf
    assert "remiss.pdf" in got_pdf.headers["content-disposition"]
    got_jpeg = await admin.unit("POST", f"/v1/messages/{message_id}/attachments/{ids[1]}/download")
    assert got_jpeg.status_code == 200 and got_jpeg.headers["content-type"] == "image/jpeg"
    assert samplefiles.exif_of(got_jpeg.content) == {}  # no GPS, no camera
    assert (await clinician.unit("POST", f"/v1/messages/{message_id}/attachments/{ids[0]}"
                                         "/download")).status_code == 404  # not theirs yet
    async def downloads_audited():  # both downloads, not just the first to arrive
        records = await inspect.audit_records(stack, conversation_id,
                                              {"messaging.attachment_opened"}) or []
        found = [r for r in records if r["event_type"].startswith("messaging.attachment_opened")]
        return found if len(found) >= 2 else None
    assert len(await eventually(downloads_audited, what="audited downloads")) == 2

    # A record extract: the clinician answers with the extract attached.
    assert (await admin.unit("POST", f"/v1/messages/{message_id}/assign",
                             json={"clinician_id": clinician.id})).status_code == 204
    extract = await upload(clinician, "journalkopia.pdf", marked_pdf(marker + "-extract"),
                           unit=U)
    assert extract.status_code == 201, extract.text
    answered = await clinician.unit("POST", f"/v1/messages/{message_id}/reply", json={
        "text": "Här är journalkopian.", "attachment_ids": [extract.json()["attachment_id"]]})
    assert answered.status_code == 201, answered.text

    async def answer_at_patient():
        conv = (await patient.patient("GET", f"/v1/conversations/{conversation_id}")).json()
        return conv if len(conv["messages"]) == 2 else None
    conv = await eventually(answer_at_patient, what="the answer at the patient")
    [ref] = conv["messages"][1]["attachments"]
    assert ref["filename"] == "journalkopia.pdf"
    path = f"/v1/conversations/{conversation_id}/attachments/{ref['attachment_id']}"
    got = await patient.patient("GET", path)
    assert got.status_code == 200, got.text
    assert PdfReader(io.BytesIO(got.content)).metadata.title == marker + "-extract"
    assert (await other.patient("GET", path)).status_code == 404
    assert (await patient.patient("GET", f"/v1/conversations/{conversation_id}/attachments/"
                                         f"{ids[0]}")).content == pdf  # the patient's own copy

    # Not a byte on Kafka: neither the files nor their sealed copies.
    [(sealed,)] = await rows(stack, "patient", "patient_mailbox",
                             "SELECT outbound_ciphertext FROM attachments "
                             "WHERE attachment_id = %s", ids[0])
    assert await inspect.kafka_records_containing(stack, marker.encode()) == []
    assert await inspect.kafka_records_containing(
        stack, base64.urlsafe_b64encode(bytes(sealed[:48]))) == []
