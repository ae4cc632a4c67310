"""E-services that act, on the running services: a care unit accepts a change of care centre,
identity's listing follows (the patient's next token has the new `listed_unit`) and the
patient sees the result in the conversation; the patient archives and unarchives
conversations (inbox and sent leave archived ones out; the archive folder is keyset-paged)."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.support import SEED, Person, all_pages, eventually, staff_of
from tests.e2e.test_listing import claims

pytestmark = pytest.mark.e2e

FROM, TO = SEED["care_units"][1]["unit_id"], SEED["care_units"][0]["unit_id"]  # TEST2 -> 1
MOVER = "197303159821"  # Maja: listed at TEST2 in the register file, used by no other test
ARCHIVIST = "196405129120"  # Brevia: has an address, so an activation letter


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=30) as client:
        yield client


async def test_an_accepted_change_of_care_centre_lists_the_patient_there(http):
    admin = await Person.login(http, hsa_id=staff_of(TO, "message_administrator")[0]["hsa_id"])
    patient = await Person.login(http, personnummer=MOVER)
    assert claims(patient.tokens["patient-mailbox"])["listed_unit"] == FROM
    sent = await patient.submit(TO, "change_care_centre")
    assert sent.status_code == 201, sent.text
    message_id, conversation_id = sent.json()["message_id"], sent.json()["conversation_id"]
    other = await patient.submit(TO, "renew_prescription")
    assert other.status_code == 201, other.text

    async def at_unit():
        return (await admin.unit("GET", f"/v1/messages/{message_id}")).status_code == 200
    await eventually(at_unit, what="the request at the unit")
    await eventually(lambda: _at_unit(admin, other.json()["message_id"]), what="the other")
    wrong = await admin.unit("POST", f"/v1/messages/{other.json()['message_id']}/accept-listing")
    assert wrong.status_code == 409 and "not a request to change care centre" in wrong.text
    accepted = await admin.unit("POST", f"/v1/messages/{message_id}/accept-listing")
    assert accepted.status_code == 200, accepted.text
    again = await admin.unit("POST", f"/v1/messages/{message_id}/accept-listing")
    assert again.status_code == 409 and "already accepted" in again.text
    meta = (await admin.unit("GET", f"/v1/messages/{message_id}")).json()
    assert meta["listing_accepted_at"] is not None

    async def result_shown():
        conv = (await patient.patient("GET", f"/v1/conversations/{conversation_id}")).json()
        return conv["listing_changed_at"]
    await eventually(result_shown, what="the listing change in the conversation")

    # identity follows the same event; a login is costly, so it is tried only after the
    # patient mailbox (a sibling consumer) has applied it.
    async def relisted():
        again = await Person.login(http, personnummer=MOVER)
        return claims(again.tokens["patient-mailbox"]).get("listed_unit") == TO
    await eventually(relisted, what="the new listed_unit in the next token")


async def _at_unit(admin: Person, message_id: str) -> bool:
    return (await admin.unit("GET", f"/v1/messages/{message_id}")).status_code == 200


async def test_archive_and_unarchive(http):
    patient = await Person.login(http, personnummer=ARCHIVIST)
    sent = [(await patient.submit(TO, "renew_prescription")).json()["conversation_id"]
            for _ in range(3)]

    async def folder(archived: bool) -> set[str]:
        items = await all_pages(patient, "/v1/conversations", audience="patient-mailbox",
                                **({"archived": "true"} if archived else {}))
        return {c["conversation_id"] for c in items} & set(sent)

    assert await folder(False) == set(sent) and await folder(True) == set()
    for conversation_id in sent[:2]:
        r = await patient.patient("POST", f"/v1/conversations/{conversation_id}/archive")
        assert r.status_code == 204, r.text
    assert await folder(False) == {sent[2]} and await folder(True) == set(sent[:2])
    page = (await patient.patient("GET", "/v1/conversations",
                                  params={"archived": "true", "limit": 1})).json()
    assert len(page["items"]) == 1 and page["next"]  # keyset-paged like the inbox
    second = (await patient.patient("GET", "/v1/conversations", params={
        "archived": "true", "limit": 1, "after": page["next"]})).json()
    assert {page["items"][0]["conversation_id"], second["items"][0]["conversation_id"]} \
        == set(sent[:2])
    assert (await patient.patient("POST", f"/v1/conversations/{sent[0]}/unarchive")
            ).status_code == 204
    assert await folder(False) == {sent[0], sent[2]} and await folder(True) == {sent[1]}
    stranger = await Person.login(http, personnummer=MOVER)
    assert (await stranger.patient("POST", f"/v1/conversations/{sent[1]}/unarchive")
            ).status_code == 404
    reduced = await Person.login(http, personnummer=ARCHIVIST, loa=2)
    assert (await reduced.patient("POST", f"/v1/conversations/{sent[1]}/unarchive")
            ).status_code == 403
