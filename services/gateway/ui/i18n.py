"""Translations of the UI: gettext catalogs (Babel) under services/gateway/locale, Swedish
first, English on a switch. msgids are English; both catalogs translate every one (the
English catalog mostly to itself), so a missing translation is visible in tests.

The chosen language is the `lang` cookie (set by /language), else Swedish."""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations
from starlette.requests import Request

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = ("sv", "en")
DEFAULT = "sv"
LANG_COOKIE = "lang"

current: ContextVar[str] = ContextVar("ui_lang", default=DEFAULT)


@cache
def translations(lang: str) -> NullTranslations:
    """Every catalog domain of the language merged into one: `messages` (the foundation's)
    and one per UI area (designer.mo, auditor.mo, ...), so areas keep their strings apart."""
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    merged = Translations.load(str(LOCALE_DIR), [lang], domain="messages")
    if not isinstance(merged, Translations):  # no compiled catalog (nothing to merge into)
        return merged
    for mo in sorted(folder.glob("*.mo")):
        if mo.stem != "messages":
            part = Translations.load(str(LOCALE_DIR), [lang], domain=mo.stem)
            if isinstance(part, Translations):  # merge would ignore a NullTranslations too
                merged.merge(part)
    return merged


def language_of(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT


def _(message: str) -> str:
    """Translate now, into the language of the request being handled."""
    return translations(current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current.get()).ngettext(singular, plural, n)


class _Lazy(str):
    """A msgid marked for extraction, translated when the page is rendered."""


def _l(message: str) -> str:
    return _Lazy(message)


async def request_language(request: Request) -> None:
    """A router dependency: `_()` in the handler speaks the request's language (without it,
    texts made before `render` are Swedish). Async, so it runs in the handler's own task."""
    current.set(language_of(request))
