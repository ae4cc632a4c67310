"""The staff pages' pure parts: the `staff` catalog domain (every string translated in both
languages, compiled, merged into the UI's translations, agreeing with `messages` where the
two share a msgid), the cursor trail of keyset paging, conflict wording, template filling,
and staff pages refusing people without a staff role."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from services.gateway.bootstrap import create_app
from services.gateway.settings import GatewaySettings
from services.gateway.ui import i18n
from services.gateway.ui.calls import ServiceRefused
from services.gateway.ui.staff.answer_templates import filled
from services.gateway.ui.staff.case import conflict
from services.gateway.ui.staff.desk import Desk
from services.gateway.ui.staff.rows import Pager, age_text, listing

SETTINGS = GatewaySettings(environment="test", identity_url="http://id.test")


def _catalog(lang: str, domain: str):
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po").open("rb") as f:
        return {m.id: m for m in read_po(f, locale=lang) if m.id}


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_staff_catalog_is_translated_compiled_and_merged(lang: str) -> None:
    staff, shared = _catalog(lang, "staff"), _catalog(lang, "messages")
    assert set(staff) == set(_catalog("en", "staff")), "the catalogs hold different msgids"
    merged = i18n.translations(lang)
    for msgid, m in staff.items():
        strings = list(m.string) if isinstance(m.string, tuple | list) else [m.string]
        assert all(s.strip() for s in strings), f"{lang}: untranslated {msgid!r}"
        assert "fuzzy" not in m.flags
        if isinstance(msgid, tuple):
            assert merged.ngettext(msgid[0], msgid[1], 2) == m.string[1]
        else:
            assert merged.gettext(msgid) == m.string, f"{lang}: .mo stale or not merged"
        if msgid in shared:  # merged catalogs must not disagree
            assert shared[msgid].string == m.string, msgid
    assert merged.gettext("Inbox") == shared["Inbox"].string  # messages still there


def test_the_pager_walks_back_along_its_trail() -> None:
    first = Pager("/staff/inbox", {"view": "mine", "service": ""}, None, [], "c1")
    assert first.previous_url is None
    second_url = first.next_url
    q = parse_qs(urlsplit(second_url).query, keep_blank_values=True)
    assert q == {"view": ["mine"], "after": ["c1"], "p": [""]}
    second = Pager("/staff/inbox", {"view": "mine"}, "c1", q["p"], "c2")
    third = parse_qs(urlsplit(second.next_url).query, keep_blank_values=True)
    assert third["after"] == ["c2"] and third["p"] == ["", "c1"]
    assert "after" not in parse_qs(urlsplit(second.previous_url).query)  # back to page 1
    last = Pager("/staff/inbox", {}, "c2", ["", "c1"], None)
    assert last.next_url is None
    assert parse_qs(urlsplit(last.previous_url).query)["after"] == ["c1"]


def test_listings_are_read_as_a_list_or_a_page() -> None:
    assert listing([{"message_id": "a"}]) == ([{"message_id": "a"}], None)
    assert listing({"items": [], "next": "x"}) == ([], "x")


@pytest.mark.parametrize("lang, expected", [
    ("sv", "Redan tilldelat Lars Läkare. Ta tillbaka det först."),
    ("en", "Already assigned to Lars Läkare. Take it back first.")])
def test_a_conflict_names_who_has_the_message(lang: str, expected: str) -> None:
    token = i18n.current.set(lang)
    try:
        refused = ServiceRefused(409, "generic", [], "message is assigned and held by "
                                 "clinician abc-123; take it back first")
        assert conflict(refused, {"abc-123": "Lars Läkare"}, {}) == expected
        pooled = ServiceRefused(409, "generic", [], "message is in the pool of group nurses; "
                                "take it back first or assign it to a member of that group")
        assert "Sjuksköterskor" in conflict(pooled, {}, {"nurses": "Sjuksköterskor"})
        assert conflict(ServiceRefused(409, "generic", [], "other"), {}, {}) == "generic"
        assert age_text(90061) in ("1 d 1 h",)
    finally:
        i18n.current.reset(token)


def test_templates_are_filled_in_with_names_and_date() -> None:
    desk = Desk(unit="U1", roles=["clinician"], units=[("U1", "VC Test")], name="Sara Sjuk",
                unit_names={"U1": "VC Test"})
    text = filled("Hälsningar {clinician_name}, {unit_name} {date} {other}", desk)
    assert text.startswith("Hälsningar Sara Sjuk, VC Test 20") and text.endswith("{other}")


def test_staff_pages_need_a_login() -> None:
    with TestClient(create_app(SETTINGS)) as client:
        for path in ("/staff/inbox", "/staff/mine", "/staff/unanswered", "/staff/clinicians",
                     "/staff/templates", "/staff/messages/m1"):
            r = client.get(path, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
        assert client.post("/staff/messages/m1/open").status_code in (303, 403)


def test_overdue_messages_are_marked_in_words_not_by_colour_alone() -> None:
    from services.gateway.ui.staff.rows import Pager, decorate
    from services.gateway.ui.templating import env
    items = decorate([{"message_id": "m1", "conversation_id": "c1", "service_type": "advice",
                       "status": "unassigned", "overdue": True, "age_seconds": 400_000,
                       "due_at": "2026-11-28T10:00:00+00:00"},
                      {"message_id": "m2", "conversation_id": "c2", "service_type": "advice",
                       "status": "assigned", "assigned_to": "s1", "overdue": False,
                       "age_seconds": 60}], {"s1": "Sara Sjuk"}, {})
    desk = Desk(unit="U1", roles=["message_administrator"], units=[("U1", "VC")], name="A")
    token = i18n.current.set("sv")
    try:
        html = env.get_template("staff/unanswered.html").render(
            lang="sv", page_title="Obesvarade", desk=desk, messages=items, overdue=1,
            paging=Pager("/staff/unanswered", {}, None, [], None), nav_links=[],
            session=None, next_path="/staff/unanswered")
    finally:
        i18n.current.reset(token)
    overdue_row = html.split('id="u-m1"')[1].split("</tr>")[0]
    assert "mvk-overdue-row" in html.split('id="u-m1"')[0][-200:]
    assert "Försenat" in overdue_row and "4 d 15 h" in overdue_row
    assert "Försenat" not in html.split('id="u-m2"')[1].split("</tr>")[0]
    assert "1 meddelande på den här sidan är försenat." in html
