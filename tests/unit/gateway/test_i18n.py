"""The UI's catalogs: every string translated in both languages, the committed .mo files
compiled from the current .po files, and pages that show only the chosen language."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from services.gateway.bootstrap import create_app
from services.gateway.settings import GatewaySettings
from services.gateway.ui.i18n import LANGUAGES, LOCALE_DIR, translations

SETTINGS = GatewaySettings(environment="test", identity_url="http://id.test")


DOMAINS = sorted(p.stem for p in (LOCALE_DIR / "sv" / "LC_MESSAGES").glob("*.po"))


def catalog(lang: str, domain: str = "messages"):
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po").open("rb") as f:
        return read_po(f, locale=lang)


def strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_and_compiled(lang: str, domain: str) -> None:
    """Every catalog domain (messages, and one per UI area), all merged into what the UI
    loads: a domain's .mo that is stale or not loaded fails here."""
    compiled = translations(lang)
    pot = {m.id for m in catalog("en", domain) if m.id}
    for message in catalog(lang, domain):
        if not message.id:
            continue
        assert all(s.strip() for s in strings(message)), f"{lang}: untranslated {message.id!r}"
        assert "fuzzy" not in message.flags, f"{lang}: fuzzy {message.id!r}"
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        if isinstance(message.id, tuple):
            assert compiled.ngettext(message.id[0], message.id[1], 1) == message.string[0]
        else:
            assert compiled.gettext(msgid) == message.string, f"{lang}: .mo is stale ({msgid!r})"
    assert pot == {m.id for m in catalog(lang, domain) if m.id}, "the catalogs differ in msgids"


def foreign_phrases(lang: str) -> set[str]:
    """Texts of the other language that differ from this one's (several words long, so
    names shared by both languages do not count)."""
    ours = {s for d in DOMAINS for m in catalog(lang, d) if m.id for s in strings(m)}
    other = "en" if lang == "sv" else "sv"
    found = set()
    for m in (m for d in DOMAINS for m in catalog(other, d)):
        for s in strings(m) if m.id else []:
            plain = re.sub(r"%\(\w+\)s", "", s).strip()
            if s not in ours and len(plain.split()) >= 3:
                found.add(plain.split("%(")[0].strip())
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", ["/", "/no-such-page", "/?logged_out=1"])
def test_pages_show_only_the_chosen_language(lang: str, path: str) -> None:
    with TestClient(create_app(SETTINGS)) as client:
        client.cookies.set("lang", lang)
        html = client.get(path).text
    assert f'<html lang="{lang}"' in html
    leaked = [p for p in foreign_phrases(lang) if p in html]
    assert not leaked, f"{path} in {lang} shows: {leaked}"
