"""What the importer does with each FHIR Questionnaire / SDC feature it meets, and the
designer-facing wording (Swedish and English) of refusals and warnings.

Three outcomes, never a silent drop: *supported* (read into the form and honoured by the
renderer and validation), *kept* (carried through to export unchanged; only matters after
submission, e.g. SDC extraction, or is metadata), *dropped with a warning* (a presentation hint
that carries no behaviour). Anything else is *refused*, with what and where."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from services.forms.domain.fhir_swedish import swedish
from services.forms.domain.model import Lang

CORE = "http://hl7.org/fhir/StructureDefinition/"
SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition/"

# Read by fhir_items into the model (see the README's support table).
SUPPORTED = {CORE + n for n in (
    "questionnaire-itemControl", "questionnaire-hidden", "minValue", "maxValue",
    "maxDecimalPlaces", "minLength", "regex", "questionnaire-unit",
    "questionnaire-sliderStepValue", "mimeType", "maxSize", "questionnaire-minOccurs",
    "questionnaire-maxOccurs")}
# Carried through unchanged: used after submission (extraction, scoring) or metadata.
KEPT = {SDC + n for n in (
    "sdc-questionnaire-definitionExtract", "sdc-questionnaire-definitionExtractValue",
    "sdc-questionnaire-templateExtract", "sdc-questionnaire-templateExtractBundle",
    "sdc-questionnaire-templateExtractContext", "sdc-questionnaire-templateExtractValue",
    "sdc-questionnaire-observationExtract", "sdc-questionnaire-observationLinkPeriod",
    "sdc-questionnaire-observation-extract-category", "sdc-questionnaire-extractAllocateId",
    "sdc-questionnaire-itemExtractionContext", "sdc-questionnaire-targetStructureMap",
    "sdc-questionnaire-performerType")} | {CORE + n for n in (
    "structuredefinition-standards-status", "structuredefinition-fmm",
    "artifact-versionAlgorithm", "structuredefinition-wg", "ordinalValue", "itemWeight",
    "iso21090-CO-value", "questionnaire-derivationType")} | {SDC + "questionnaire-answerKey"}
# Presentation only: dropped with a warning.
HINTS = {CORE + n for n in (
    "questionnaire-choiceOrientation", "entryFormat", "questionnaire-displayCategory",
    "rendering-styleSensitive", "rendering-style", "rendering-xhtml", "rendering-markdown",
    "questionnaire-supportLink", "questionnaire-optionPrefix", "questionnaire-usageMode",
    "questionnaire-baseType", "valueset-label", "valueset-conceptOrder")} | {SDC + n for n in (
    "sdc-questionnaire-width", "sdc-questionnaire-collapsible", "sdc-questionnaire-shortText",
    "sdc-questionnaire-optionalDisplay", "sdc-questionnaire-itemMedia",
    "sdc-questionnaire-itemAnswerMedia", "sdc-questionnaire-openLabel",
    "sdc-questionnaire-choiceColumn", "sdc-questionnaire-keyboard",
    "sdc-questionnaire-entryMode", "sdc-questionnaire-signatureRequired")}
# itemControl codes with behaviour here; the other codes are presentation hints.
CONTROLS = {"drop-down": "drop-down", "radio-button": "radio-button",
            "check-box": "check-box", "slider": "slider"}

MESSAGES: dict[str, dict[Lang, str]] = {
    "unsupported_extension": {
        "sv": "{where}: tillägget {feature} stöds inte (det styr formulärets beteende).",
        "en": "{where}: extension {feature} is not supported (it changes how the form behaves)."},
    "unsupported_element": {"sv": "{where}: {feature} stöds inte.",
                            "en": "{where}: {feature} is not supported."},
    "external_value_set": {
        "sv": "{where}: svarsalternativen finns i en extern terminologitjänst ({feature}); "
              "lägg värdemängden i formuläret (contained) eller i samma Bundle.",
        "en": "{where}: the answer list refers to an external terminology server ({feature}); "
              "include the ValueSet in the Questionnaire (contained) or in the same Bundle."},
    "missing_value_set": {
        "sv": "{where}: svarsalternativen hänvisar till värdemängden {feature}, som inte finns "
              "i formuläret (contained).",
        "en": "{where}: the answer list refers to ValueSet {feature}, which the Questionnaire "
              "does not contain."},
    "value_set_not_expandable": {
        "sv": "{where}: värdemängden {feature} kan inte expanderas här (filter eller hela "
              "kodsystem); lista koderna i den.",
        "en": "{where}: ValueSet {feature} cannot be expanded here (a filter or a whole code "
              "system); list its codes."},
    # The detail comes from the model's checks (fhir_swedish words it in Swedish).
    "invalid": {"sv": "{where}: ogiltig formulärdefinition ({feature}).",
                "en": "{where}: invalid form definition ({feature})."},
    "not_a_questionnaire": {"sv": "Det här är ingen FHIR Questionnaire eller Bundle ({feature}).",
                            "en": "This is not a FHIR Questionnaire or Bundle ({feature})."},
    "languages_differ": {
        "sv": "{where}: språkversionerna av formuläret har inte samma frågor ({feature}).",
        "en": "{where}: the language versions of the form do not have the same items "
              "({feature})."},
    "dropped_hint": {"sv": "{where}: presentationstipset {feature} används inte och tas bort.",
                     "en": "{where}: presentation hint {feature} is not used and is dropped."},
    "kept_unused": {
        "sv": "{where}: {feature} behålls och exporteras igen, men används inte av tjänsten.",
        "en": "{where}: {feature} is kept and exported again, but this service does not use it."},
    "dropped_metadata": {"sv": "{where}: metadata {feature} tas inte med.",
                         "en": "{where}: metadata {feature} is not kept."},
    "missing_language": {
        "sv": "Texter saknas på {feature}; där visas i stället texten på {where}.",
        "en": "Some texts have no {feature} version; the {where} text is shown instead."},
    "untitled": {"sv": "Formuläret saknar titel och namn; titeln är ”{feature}”.",
                 "en": "The form has no title or name; its title is “{feature}”."},
}
LANGUAGE_NAMES = {"sv": {"sv": "svenska", "en": "engelska"},
                  "en": {"sv": "Swedish", "en": "English"}}


@dataclass(frozen=True)
class Issue:
    """A refusal or a warning: `code` (stable), `where` (linkId path, "/" between levels, or
    "Questionnaire"), `feature` (the element or extension) and a message in sv and en."""

    code: str
    where: str
    feature: str

    def message(self, lang: Lang) -> str:
        where, feature = self.where, self.feature
        if self.code == "invalid" and lang == "sv":
            feature = swedish(feature)
        if self.code == "missing_language":
            names = LANGUAGE_NAMES[lang]
            where, feature = names.get(where, where), names.get(feature, feature)
        return MESSAGES[self.code][lang].format(where=where, feature=feature)

    def public(self, lang: Lang) -> dict[str, Any]:
        return {**asdict(self), "message": self.message(lang)}


def short(url: str) -> str:
    """An extension's name as designers see it (the last part of its URL)."""
    return url.rstrip("/").rsplit("/", 1)[-1] or url
