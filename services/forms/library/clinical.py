"""Built-in forms: förnya recept, förnya sjukintyg and rådgivning (nurse or psychologist)."""

from services.forms.domain.model import FormDefinition
from services.forms.library.builder import choice, contact_group, display, group, q, text, when

URGENT = ("Om det är akut: ring 112. Vid frågor: ring 1177.",
          "If it is urgent: call 112. For questions: call 1177.")

RENEW_PRESCRIPTION = FormDefinition(
    title=text(("Förnya recept", "Renew a prescription")),
    description=text(("Förnyelse kan ta upp till fem arbetsdagar.",
                      "A renewal may take up to five working days.")),
    items=(
        group("medication", ("Läkemedel", "Medication"),
              q("medication.name", "string", ("Läkemedlets namn", "Name of the medicine"),
                required=True, max_length=120),
              q("medication.strength", "string", ("Styrka, till exempel 50 mg",
                                                  "Strength, for example 50 mg"),
                required=True, max_length=40),
              q("medication.dose", "string", ("Hur tar du det?", "How do you take it?"),
                max_length=200),
              required=True, repeats=True),
        q("last_prescriber", "string", ("Vem skrev ut det senast?",
                                        "Who prescribed it last?"), max_length=120),
        q("side_effects", "boolean", ("Har du fått biverkningar?", "Have you had side effects?"),
          required=True),
        q("side_effects_text", "text", ("Beskriv biverkningarna", "Describe the side effects"),
          required=True, max_length=2000, show=when("side_effects", "=", True)),
        q("pharmacy_notes", "text", (("Övrigt, till exempel önskemål om apotek eller "
                                     "förpackningsstorlek"), ("Anything else, e.g. pharmacy or "
                                     "pack size wishes")), max_length=1000),
        contact_group(),
    ))

RENEW_SICK_LEAVE = FormDefinition(
    title=text(("Förnya sjukintyg", "Renew a sick-leave certificate")),
    items=(
        group("current", ("Ditt nuvarande intyg", "Your current certificate"),
              q("current.from", "date", ("Gäller från", "Valid from"), required=True),
              q("current.to", "date", ("Gäller till", "Valid until"), required=True),
              choice("current.extent", ("Sjukskrivningsgrad", "Extent of sick leave"), [
                  ("100", "Heltid (100 %)", "Full time (100%)"), ("75", "75 %", "75%"),
                  ("50", "50 %", "50%"), ("25", "25 %", "25%")], required=True),
              required=True),
        q("occupation", "string", ("Ditt arbete", "Your occupation"), required=True,
          max_length=120),
        q("work_ability", "text", ("Hur påverkar dina besvär din arbetsförmåga?",
                                   "How do your problems affect your ability to work?"),
          required=True, max_length=3000),
        choice("progress", ("Hur har det gått sedan förra intyget?",
                            "How have things gone since the last certificate?"), [
            ("better", "Bättre", "Better"), ("same", "Oförändrat", "Unchanged"),
            ("worse", "Sämre", "Worse")], required=True),
        q("progress_worse", "text", ("Vad har blivit sämre?", "What has got worse?"),
          required=True, max_length=2000, show=when("progress", "=", "worse")),
        q("days_needed", "integer", ("Hur många dagar till tror du att du behöver?",
                                     "How many more days do you think you need?"),
          required=True, min_value=1, max_value=365),
        display("long_leave", ("Vid längre sjukskrivning kan läkaren vilja träffa dig.",
                               "For a longer sick leave the doctor may want to see you."),
                show=when("days_needed", ">=", 30)),
        q("rehab_contact", "boolean", ("Vill du bli kontaktad av en rehabkoordinator?",
                                       ("Would you like a rehabilitation coordinator to "
                                       "contact you?"))),
        contact_group(),
    ))

ADVICE = FormDefinition(
    title=text(("Rådgivning", "Advice")),
    items=(
        display("urgent_always", URGENT),
        group("screening", ("Först några frågor om hur brådskande det är",
                            "First, a few questions about urgency"),
              q("screening.severe", "boolean", (
                  ("Har du just nu svåra besvär, till exempel bröstsmärta, svårt att andas "
                  "eller tankar på att skada dig själv?"),
                  ("Do you right now have severe symptoms, for example chest pain, difficulty "
                  "breathing or thoughts of harming yourself?")), required=True),
              display("screening.call", URGENT, show=when("screening.severe", "=", True)),
              required=True),
        choice("recipient", ("Vem vill du ha råd av?", "Who would you like advice from?"), [
            ("nurse", "Sjuksköterska", "Nurse"),
            ("psych", "Psykolog eller psykiater", "Psychologist or psychiatrist")],
               required=True, show=when("screening.severe", "=", False)),
        q("symptoms", "text", ("Beskriv dina besvär", "Describe your symptoms"),
          required=True, max_length=3000, show=when("recipient", "exists", True)),
        choice("duration", ("Hur länge har du haft besvären?",
                            "How long have you had the symptoms?"), [
            ("today", "Sedan i dag", "Since today"), ("days", "Några dagar", "A few days"),
            ("weeks", "Några veckor", "A few weeks"), ("months", "Månader", "Months")],
               required=True, show=when("recipient", "exists", True)),
        q("fever", "boolean", ("Har du feber?", "Do you have a fever?"),
          show=when("recipient", "=", "nurse")),
        q("temperature", "decimal", ("Högsta temperatur (°C)", "Highest temperature (°C)"),
          min_value=35, max_value=43, show=when("fever", "=", True)),
        q("pain", "integer", ("Hur ont har du, 0–10?", "How much pain, 0–10?"),
          min_value=0, max_value=10, show=when("recipient", "=", "nurse")),
        display("pain_high", URGENT, show=when("pain", ">", 7)),
        choice("affects", ("Vad påverkas?", "What is affected?"), [
            ("sleep", "Sömn", "Sleep"), ("work", "Arbete eller studier", "Work or studies"),
            ("relations", "Relationer", "Relationships"), ("appetite", "Aptit", "Appetite")],
               repeats=True, show=when("recipient", "=", "psych")),
        q("tried", "text", ("Vad har du provat själv?", "What have you tried yourself?"),
          max_length=1000, show=when("recipient", "exists", True)),
        contact_group(),
    ))
