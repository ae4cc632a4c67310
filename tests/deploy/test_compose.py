"""docker-compose.yml, built from the repository's own Dockerfiles and started with podman,
passes the ten-step message workflow through its published loopback ports:
patient -> care unit -> administrator -> clinician -> patient.

Run on its own with `scripts/test -m compose`. Skips only when podman cannot run containers
on this machine (scripts/bootstrap installs and configures it)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.deploy import composestack
from tests.deploy.composestack import ComposeStack
from tests.e2e import oidc_flow
from tests.e2e.support import SEED, Person, eventually, staff_of
from tests.stackfixtures import MailsinkClient

pytestmark = [pytest.mark.deploy, pytest.mark.compose, pytest.mark.timeout(2400)]

UNIT = SEED["care_units"][0]
PATIENT = SEED["patients"][0]


@pytest.fixture(scope="module")
def compose_stack() -> Iterator[ComposeStack]:
    # scripts/bootstrap installs and sets up podman (scripts/containers-setup): not optional.
    assert (why := composestack.podman_works()) is None, why
    stack = composestack.new_stack()
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture
async def http(compose_stack: ComposeStack, monkeypatch) -> AsyncIterator[httpx.AsyncClient]:
    # The issuer is identity's in-network name (http://identity:8001), which the host cannot
    # resolve: logins go to identity's published port instead, as a browser's would.
    async def published_identity(_gateway: httpx.AsyncClient) -> str:
        return compose_stack.identity_url
    monkeypatch.setattr(oidc_flow, "identity_url", published_identity)
    async with httpx.AsyncClient(base_url=compose_stack.gateway_url, timeout=30) as client:
        yield client


def test_identity_trusts_only_the_gateway(compose_stack: ComposeStack) -> None:
    trusted = compose_stack.exec("identity", "printenv", "IDENTITY_TRUSTED_PROXIES")
    assert trusted.stdout.strip() == compose_stack.ip_of("gateway")


async def test_ten_steps_through_compose(compose_stack: ComposeStack, http) -> None:
    marker, answer_marker = f"MARKER-{uuid.uuid4().hex}", f"ANSWER-{uuid.uuid4().hex}"
    mails = MailsinkClient(compose_stack.mailsink_url)
    before = {a: len(mails.messages(a)) for a in (UNIT["functional_email"], PATIENT["email"])}

    def new_mail(address: str) -> list[dict]:
        return mails.messages(address)[before[address]:]

    # 1-2. The patient logs in (test e-ID through identity's OIDC, PKCE) and submits a form.
    patient = await Person.login(http, personnummer=PATIENT["personnummer"])
    submitted = await patient.submit(UNIT["unit_id"], "renew_prescription",
                                     text=f"Jag behöver förnya mitt recept. {marker}")
    assert submitted.status_code == 201, submitted.text
    conversation_id = submitted.json()["conversation_id"]
    message_id = submitted.json()["message_id"]

    # 3. Sealed to the care unit's database: unassigned in the unit's inbox.
    admin = await Person.login(http, hsa_id=staff_of(UNIT["unit_id"],
                                                     "message_administrator")[0]["hsa_id"])

    async def in_unit_inbox():
        r = await admin.unit("GET", f"/v1/units/{UNIT['unit_id']}/messages",
                             params={"view": "unassigned", "limit": 200})
        return [m for m in r.json()["items"] if m["message_id"] == message_id]
    await eventually(in_unit_inbox, timeout=90, what="message in the unit inbox")

    # 4. The unit is e-mailed, without content.
    async def unit_mail():
        return new_mail(UNIT["functional_email"])
    unit_mails = await eventually(unit_mail, timeout=60, what="e-mail to the care unit")

    # 5-6. The administrator reads it and gives it to a nurse.
    meta = await admin.unit("GET", f"/v1/messages/{message_id}")  # metadata: no content
    assert meta.status_code == 200 and marker not in meta.text
    read = await admin.unit("POST", f"/v1/messages/{message_id}/open")  # the audited read
    assert read.status_code == 200 and marker in read.json()["text"]
    nurse = await Person.login(http, hsa_id=staff_of(UNIT["unit_id"], "clinician",
                                                     "nurse")[0]["hsa_id"])
    assigned = await admin.unit("POST", f"/v1/messages/{message_id}/assign",
                                json={"clinician_id": nurse.id})
    assert assigned.status_code == 204, assigned.text

    # 7-8. The nurse answers; the answer travels sealed to the patient database.
    assert marker in (await nurse.unit("POST", f"/v1/messages/{message_id}/open")).json()["text"]
    replied = await nurse.unit("POST", f"/v1/messages/{message_id}/reply",
                               json={"text": f"Receptet är förnyat. {answer_marker}"})
    assert replied.status_code == 201, replied.text

    async def answered():
        convs = (await patient.patient("GET", "/v1/conversations")).json()["items"]
        return [c for c in convs if c["conversation_id"] == conversation_id
                and c["status"] == "answered" and c["unread"] == 1]
    await eventually(answered, timeout=90, what="answer in the patient mailbox")

    # 9. The patient is e-mailed, without content.
    async def patient_mail():
        return new_mail(PATIENT["email"])
    patient_mails = await eventually(patient_mail, timeout=60, what="e-mail to the patient")

    # 10. The patient logs in again and reads the answer.
    patient = await Person.login(http, personnummer=PATIENT["personnummer"])
    conv = (await patient.patient("GET", f"/v1/conversations/{conversation_id}")).json()
    texts = [m["text"] for m in conv["messages"]]
    assert marker in texts[0] and answer_marker in texts[1]
    for mail in unit_mails + patient_mails:
        blob = mail["subject"] + mail["body"]
        assert marker not in blob and answer_marker not in blob
    mails.close()
    print(f"compose: images built in {compose_stack.build_seconds:.0f}s, "
          f"up and ready in {compose_stack.up_seconds:.0f}s")
