"""The login pages' translations: gettext catalogs (Babel) under services/identity/locale,
Swedish first, English on a switch. msgids are English; both catalogs translate every one,
so a missing translation is visible in tests (tests/unit/identity/test_login_i18n.py).

identity is its own origin, so it cannot read the gateway's `lang` cookie: the client says
the user's language with the OIDC `ui_locales` parameter on /authorize, and identity keeps
it (and any later choice on its own switch) in a cookie of its own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations
from starlette.requests import Request

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = ("sv", "en")
DEFAULT = "sv"
LANG_COOKIE = "mvk_idp_lang"
MAX_UI_LOCALES = 256  # a client's list is a few tags; anything longer is not read


@cache
def translations(lang: str) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [lang], domain="messages")


def _l(message: str) -> str:
    """Marks a msgid for extraction; it is translated when the page is rendered."""
    return message


def asked(request: Request) -> str | None:
    """The first language of the request's `ui_locales` (RFC 5646 tags, space-separated,
    most preferred first) that the pages speak: "en-GB" counts as "en"."""
    for tag in request.query_params.get("ui_locales", "")[:MAX_UI_LOCALES].split():
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return None


def language_of(request: Request) -> str:
    chosen = asked(request) or request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT


@dataclass(frozen=True)
class Problem:
    """An error a page shows: `text` is a msgid (it may name `%(reason)s`, given per
    language in `reasons`), `form` the form it concerns and `href` the field it is about."""

    text: str
    form: str | None = None
    href: str | None = None
    reasons: Mapping[str, str] = field(default_factory=dict)

    def reason(self, lang: str) -> str:
        return self.reasons.get(lang, "")
