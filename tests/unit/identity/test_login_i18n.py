"""The login pages' catalogs and languages: every string translated in both catalogs and
compiled into the committed .mo files, each page (login, error, test e-ID, message) showing
only the chosen language, the language taken from ui_locales and kept, and the switches."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.messages.pofile import read_po

from services.identity.oidc.i18n import LANG_COOKIE, LANGUAGES, LOCALE_DIR, translations
from services.identity.patients import personnummer
from tests.htmlforms import form
from tests.unit.identity.oidc_support import World, authorize_params, client, pkce, world


def catalog(lang: str):
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_and_compiled(lang: str) -> None:
    compiled = translations(lang)
    for message in catalog(lang):
        if message.id:
            assert message.string.strip(), f"{lang}: untranslated {message.id!r}"
            assert "fuzzy" not in message.flags, f"{lang}: fuzzy {message.id!r}"
            assert compiled.gettext(message.id) == message.string, f"{lang}: stale .mo"
    with (LOCALE_DIR / "messages.pot").open("rb") as f:
        pot = {m.id for m in read_po(f) if m.id}
    assert pot == {m.id for m in catalog(lang) if m.id}, "catalog and template differ"


def foreign_phrases(lang: str) -> set[str]:
    """Texts of the other language's catalog (three words or more) that this one lacks."""
    ours = {m.string for m in catalog(lang) if m.id}
    other = "en" if lang == "sv" else "sv"
    found = set()
    for m in catalog(other):
        plain = re.sub(r"%\(\w+\)s", "", m.string).strip() if m.id else ""
        if m.id and m.string not in ours and len(plain.split()) >= 3:
            found.add(plain.split("%(")[0].strip())
    return found


def assert_only(lang: str, html: str) -> None:
    assert f'<html lang="{lang}"' in html
    leaked = [p for p in foreign_phrases(lang) if p in html]
    assert not leaked, f"{lang} page shows untranslated: {leaked}"


class PatientAuth:
    """The patient side's check, as far as these pages need it: the real personnummer
    validation, whose reason comes in both languages."""

    async def verify_password(self, number: str, password: str, client_ip=None):
        personnummer.parse(number)
        raise AssertionError("only invalid numbers are sent here")


@pytest.fixture
def w() -> World:
    w = world()
    w.app.state.patient_auth = PatientAuth()

    class Ctx:
        class settings:  # stands in for IdentitySettings
            trusted_proxy_networks = ()
    w.app.state.identity = Ctx
    return w


def test_the_check_finds_a_phrase_of_the_other_language() -> None:
    assert "Logga in med lösenord" in foreign_phrases("en")
    assert "Log in with password" in foreign_phrases("sv")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_login_page_speaks_the_language_ui_locales_asks_for(w: World, lang: str) -> None:
    c = client(w)
    page = c.get("/authorize", params={**authorize_params(pkce()[1]),
                                       "ui_locales": f"{lang}-SE de"})
    assert page.status_code == 200 and c.cookies.get(LANG_COOKIE) == lang
    assert_only(lang, page.text)
    assert "<title>" + ("Logga in" if lang == "sv" else "Log in") in page.text

    wrong = c.post("/login/staff", data={**form(page.text, "/login/staff").fields,
                                         "hsa_id": "HSA-1", "password": "no", "otp": "1"})
    assert wrong.status_code == 401  # later pages keep the language (identity's cookie)
    assert_only(lang, wrong.text)
    assert 'href="#staff-hsa-id"' in wrong.text and "govuk-error-summary" in wrong.text
    bad_number = c.post("/login/password", data={
        **form(wrong.text, "/login/password").fields, "personnummer": "12", "password": "x"})
    assert_only(lang, bad_number.text)
    assert ("Ogiltigt personnummer" if lang == "sv" else "Invalid personnummer") \
        in bad_number.text

    started = c.post("/login/eid/start", data=form(bad_number.text, "/login/eid/start").fields)
    eid_path = urlsplit(started.headers["location"]).path
    eid_page = c.get(eid_path)
    assert_only(lang, eid_page.text)
    invalid = c.post(eid_path, data={**form(eid_page.text, eid_path).fields,
                                     "personnummer": "nope", "decision": "approve"})
    assert invalid.status_code == 422 and 'href="#test-eid-personnummer"' in invalid.text
    assert_only(lang, invalid.text)

    expired = c.post("/login/cancel", data={"request_id": "x", "csrf_token": "y"})
    assert expired.status_code == 400
    assert_only(lang, expired.text)


def test_the_switch_on_the_login_page_keeps_the_login_request(w: World) -> None:
    c = client(w)
    page = c.get("/authorize", params=authorize_params(pkce()[1]))
    assert_only("sv", page.text)
    switch = form(page.text, "/login/language")
    assert switch.fields["lang"] == "en"
    english = c.post("/login/language", data=switch.fields)
    assert english.status_code == 200
    assert_only("en", english.text)
    same = form(english.text, "/login/staff").fields
    assert same["request_id"] == switch.fields["request_id"]
    assert same["csrf_token"] == switch.fields["csrf_token"]
    again = c.get("/authorize", params=authorize_params(pkce()[1]))  # remembered
    assert_only("en", again.text)


def test_the_switch_on_other_pages_returns_there_and_never_elsewhere(w: World) -> None:
    c = client(w)
    page = c.get("/test-eid/no-such-order", params={"ui_locales": "en"})
    assert page.status_code == 404
    assert_only("en", page.text)
    href = re.search(r'href="(/language\?[^"]+)"', page.text).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(href).query) == {"lang": ["sv"], "next": ["/test-eid/no-such-order"]}
    back = c.get(href, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/test-eid/no-such-order"
    assert c.cookies.get(LANG_COOKIE) == "sv"
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        answer = c.get("/language", params={"lang": "en", "next": elsewhere},
                       follow_redirects=False)
        assert answer.status_code == 200 and "location" not in answer.headers
        assert_only("en", answer.text)
