"""Swedish and English texts of validation errors, and picking the language of a request."""

from __future__ import annotations

from services.forms.domain.model import Lang

MESSAGES: dict[str, dict[Lang, str]] = {
    "required": {"sv": "”{label}” måste besvaras.", "en": "“{label}” must be answered."},
    "disabled": {"sv": "”{label}” ska inte besvaras med de svar du har gett.",
                 "en": "“{label}” does not apply given your other answers."},
    "unknown_item": {"sv": "Frågan {link_id} finns inte i formuläret.",
                     "en": "Question {link_id} is not part of this form."},
    "duplicate_item": {"sv": "”{label}” förekommer mer än en gång.",
                       "en": "“{label}” appears more than once."},
    "not_a_question": {"sv": "”{label}” är ingen fråga och kan inte besvaras.",
                       "en": "“{label}” is not a question and cannot be answered."},
    "wrong_type": {"sv": "Svaret på ”{label}” har fel format.",
                   "en": "The answer to “{label}” has the wrong format."},
    "too_many_answers": {"sv": "”{label}” tar bara ett svar.",
                         "en": "“{label}” takes only one answer."},
    "duplicate_answer": {"sv": "Samma svar har angetts flera gånger för ”{label}”.",
                         "en": "The same answer was given more than once for “{label}”."},
    "too_long": {"sv": "Svaret på ”{label}” får vara högst {limit} tecken.",
                 "en": "The answer to “{label}” may be at most {limit} characters."},
    "single_line": {"sv": "Svaret på ”{label}” ska stå på en rad.",
                    "en": "The answer to “{label}” must be on one line."},
    "too_small": {"sv": "Svaret på ”{label}” får inte vara mindre än {limit}.",
                  "en": "The answer to “{label}” may not be less than {limit}."},
    "too_large": {"sv": "Svaret på ”{label}” får inte vara större än {limit}.",
                  "en": "The answer to “{label}” may not be greater than {limit}."},
    "invalid_option": {"sv": "Välj ett av de angivna alternativen för ”{label}”.",
                       "en": "Choose one of the given options for “{label}”."},
    "attachment_reference": {
        "sv": "Bifogad fil till ”{label}” ska laddas upp först och anges med sin adress.",
        "en": "A file for “{label}” must be uploaded first and referred to by its address."},
    "attachment_type": {"sv": "Filtypen för ”{label}” tillåts inte.",
                        "en": "The file type for “{label}” is not allowed."},
    "attachment_size": {"sv": "Filen för ”{label}” är för stor.",
                        "en": "The file for “{label}” is too large."},
    "too_short": {"sv": "Svaret på ”{label}” ska vara minst {limit} tecken.",
                  "en": "The answer to “{label}” must be at least {limit} characters."},
    "pattern": {"sv": "Svaret på ”{label}” har inte rätt form.",
                "en": "The answer to “{label}” does not have the expected form."},
    "decimals": {"sv": "Svaret på ”{label}” får ha högst {limit} decimaler.",
                 "en": "The answer to “{label}” may have at most {limit} decimals."},
    "step": {"sv": "Svaret på ”{label}” ska vara en multipel av {limit}.",
             "en": "The answer to “{label}” must be a step of {limit}."},
    "wrong_unit": {"sv": "Svaret på ”{label}” ska anges i {unit}.",
                   "en": "The answer to “{label}” must be given in {unit}."},
    "read_only": {"sv": "”{label}” är förifylld och kan inte ändras.",
                  "en": "“{label}” is pre-filled and cannot be changed."},
    "too_few": {"sv": "”{label}” ska besvaras minst {limit} gånger.",
                "en": "“{label}” must be answered at least {limit} times."},
    "too_many": {"sv": "”{label}” får besvaras högst {limit} gånger.",
                 "en": "“{label}” may be answered at most {limit} times."},
    "malformed": {"sv": "Svaret har fel struktur ({detail}).",
                  "en": "The response is malformed ({detail})."},
    "wrong_questionnaire": {
        "sv": "Svaren hör till ett annat formulär eller en annan version.",
        "en": "The answers belong to another form or another version."},
    "not_completed": {"sv": "Svaren är inte markerade som färdiga.",
                      "en": "The answers are not marked as completed."},
}


def message(code: str, lang: Lang, **values: object) -> str:
    return MESSAGES[code][lang].format(**values)


def pick_language(query: str | None, accept_language: str | None) -> Lang:
    """?lang= wins; then the Accept-Language entry with the highest q among sv and en;
    Swedish by default."""
    if query in ("sv", "en"):
        return query  # type: ignore[return-value]
    best: tuple[float, Lang] = (0.0, "sv")
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("sv", "en"):
            continue
        q = _quality(params)
        if q > best[0]:
            best = (q, primary)  # type: ignore[assignment]
    return best[1]


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
