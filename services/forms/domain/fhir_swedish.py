"""Swedish wording of the form-definition problems (model and item_rules write them in
English) so that an import refused for them reads in the designer's language. A problem
without a Swedish wording here is shown in English inside the Swedish sentence."""

from __future__ import annotations

import re

# (English pattern, Swedish template with the pattern's groups)
_SV: list[tuple[str, str]] = [
    (r"duplicate linkId", "linkId förekommer mer än en gång"),
    (r"a group needs child items", "en grupp behöver underfrågor"),
    (r"a question needs a text", "en fråga behöver en text"),
    (r"every item needs a linkId", "varje fråga och grupp behöver ett linkId"),
    (r"a required readOnly or hidden item needs an initial value",
     "en obligatorisk skrivskyddad eller dold fråga behöver ett förvalt värde"),
    (r"a unit applies to numbers and quantities", "en enhet hör till tal och mängder"),
    (r"allowed types and max size apply to attachments",
     "filtyper och största storlek hör till bilagor"),
    (r"answer options belong to \(and are needed by\) choice items",
     "svarsalternativ hör till (och behövs av) flervalsfrågor"),
    (r"answer options must all have the same value type",
     "svarsalternativen måste ha samma värdetyp"),
    (r"choice items mark initial options with initialSelected",
     "flervalsfrågor anger förval med initialSelected"),
    (r"display items are never required or repeated",
     "visningstexter är aldrig obligatoriska eller upprepade"),
    (r"display items have no child items", "visningstexter har inga underfrågor"),
    (r"duplicate option code", "svarskoden förekommer mer än en gång"),
    (r"maxDecimalPlaces applies to decimal and quantity items",
     "maxDecimalPlaces hör till decimal- och mängdfrågor"),
    (r"maxLength/minLength apply to string and text items",
     "maxLength/minLength hör till textfrågor"),
    (r"min/max values apply to numbers, dates and times",
     "min-/maxvärden hör till tal, datum och tider"),
    (r"minOccurs/maxOccurs apply to repeating items",
     "minOccurs/maxOccurs hör till upprepade frågor"),
    (r"regex applies to string and text items", "regex hör till textfrågor"),
    (r"regex is not a regular expression this service can run \(RE2\)",
     "regex är inte ett reguljärt uttryck som tjänsten kan köra (RE2)"),
    (r"several initial values need a repeating item",
     "flera förvalda värden kräver en upprepad fråga"),
    (r"a slider needs an integer or decimal item with minValue and maxValue",
     "ett reglage kräver en heltals- eller decimalfråga med minValue och maxValue"),
    (r"sliderStepValue applies to slider items", "sliderStepValue hör till reglage"),
    (r"(\S+) allows one answer but the item repeats",
     r"\1 tillåter ett svar men frågan upprepas"),
    (r"(\S+) applies to choice items", r"\1 hör till flervalsfrågor"),
    (r"'(\S+)' cannot compare (\S+) answers", r"'\1' kan inte jämföra svar av typen \2"),
    (r"enableWhen answer does not fit (\S+) question (.+)",
     r"enableWhen-svaret passar inte \1-frågan \2"),
    (r"enableWhen must refer to an earlier question \((.+)\)",
     r"enableWhen måste hänvisa till en tidigare fråga (\1)"),
    (r"enableWhen refers to (.+), which is not a question",
     r"enableWhen hänvisar till \1, som inte är en fråga"),
]


def swedish(problem: str) -> str:
    for pattern, template in _SV:
        match = re.fullmatch(pattern, problem)
        if match:
            return match.expand(template)
    return problem
