"""A terse way to write bilingual built-in forms: each text is a (Swedish, English) pair."""

from __future__ import annotations

from typing import Any

from services.forms.domain.model import Condition, Item, Option, Text

Pair = tuple[str, str]

IMAGES_AND_PDF = ("image/jpeg", "image/png", "application/pdf")
TEN_MB = 10 * 1024 * 1024


def text(pair: Pair) -> Text:
    return Text(sv=pair[0], en=pair[1])


def when(question: str, operator: str, answer: Any = True) -> Condition:
    return Condition(question=question, operator=operator, answer=answer)  # type: ignore[arg-type]


def _conditions(cond: Condition | tuple[Condition, ...] | None) -> dict[str, Any]:
    if cond is None:
        return {}
    return {"enable_when": (cond,) if isinstance(cond, Condition) else cond}


def q(link_id: str, type_: str, pair: Pair, *, show: Condition | tuple | None = None,
      **options: Any) -> Item:
    return Item(link_id=link_id, type=type_, text=text(pair),  # type: ignore[arg-type]
                **_conditions(show), **options)


def choice(link_id: str, pair: Pair, opts: list[tuple[str, str, str]], *,
           show: Condition | tuple | None = None, **options: Any) -> Item:
    return q(link_id, "choice", pair, show=show,
             options=tuple(Option(code=c, text=Text(sv=sv, en=en)) for c, sv, en in opts),
             **options)


def group(link_id: str, pair: Pair, *items: Item, show: Condition | tuple | None = None,
          **options: Any) -> Item:
    return q(link_id, "group", pair, show=show, items=items, **options)


def display(link_id: str, pair: Pair, *, show: Condition | tuple | None = None) -> Item:
    return q(link_id, "display", pair, show=show)


WEEKDAYS = [("mon", "Måndag", "Monday"), ("tue", "Tisdag", "Tuesday"),
            ("wed", "Onsdag", "Wednesday"), ("thu", "Torsdag", "Thursday"),
            ("fri", "Fredag", "Friday")]
DAYPARTS = [("morning", "Förmiddag", "Morning"), ("afternoon", "Eftermiddag", "Afternoon")]


def contact_group() -> Item:
    """How the unit should get in touch; the phone number only when phone is chosen."""
    return group(
        "contact", ("Hur vill du bli kontaktad?", "How would you like to be contacted?"),
        choice("contact.method", ("Kontaktsätt", "Contact method"), [
            ("message", "Via meddelande i 1177", "By message in 1177"),
            ("phone", "Per telefon", "By phone")], required=True),
        q("contact.phone", "string", ("Telefonnummer", "Phone number"), required=True,
          max_length=20, show=when("contact.method", "=", "phone")),
        required=True)


def preferred_times(prefix: str, *, show: Condition | None = None, required: bool = False) -> Item:
    return group(
        f"{prefix}", ("Önskade tider", "Preferred times"),
        choice(f"{prefix}.days", ("Vilka dagar passar dig?", "Which days suit you?"),
               WEEKDAYS, repeats=True, required=True),
        choice(f"{prefix}.time", ("Vilken tid på dagen?", "What time of day?"),
               DAYPARTS, repeats=True),
        q(f"{prefix}.earliest", "date", ("Tidigast från datum", "Earliest date")),
        show=show, required=required)
