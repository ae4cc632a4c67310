"""Built-in forms: boka tid (request an appointment) and av-/omboka tid (change or cancel)."""

from services.forms.domain.model import FormDefinition
from services.forms.library.builder import (
                                              IMAGES_AND_PDF,
                                              TEN_MB,
                                              choice,
                                              contact_group,
                                              display,
                                              group,
                                              preferred_times,
                                              q,
                                              text,
                                              when,
)

BOOK_APPOINTMENT = FormDefinition(
    title=text(("Boka tid", "Request an appointment")),
    description=text((
        "Beskriv ditt ärende så bokar mottagningen en tid som passar. Du får svar i 1177.",
        ("Describe your matter and the unit will book a suitable time. You get the answer "
        "in 1177."))),
    items=(
        display("urgent", ("Om det är akut: ring 112. Vid frågor: ring 1177.",
                           "If it is urgent: call 112. For questions: call 1177.")),
        q("reason", "text", ("Varför vill du ha en tid?", "Why do you want an appointment?"),
          required=True, max_length=2000),
        choice("duration", ("Hur länge har du haft besvären?",
                            "How long have you had the problem?"), [
            ("days", "Några dagar", "A few days"), ("weeks", "Några veckor", "A few weeks"),
            ("months", "Längre än en månad", "More than a month"),
            ("none", "Gäller inte besvär", "Not about a problem")], required=True),
        choice("visit_type", ("Hur vill du träffa oss?", "How would you like to meet us?"), [
            ("clinic", "Besök på mottagningen", "Visit at the clinic"),
            ("video", "Videosamtal", "Video call"), ("phone", "Telefonsamtal", "Phone call")],
               required=True),
        preferred_times("preferred", required=True),
        q("interpreter", "boolean", ("Behöver du tolk?", "Do you need an interpreter?")),
        q("interpreter_language", "string", ("Vilket språk?", "Which language?"),
          required=True, max_length=60, show=when("interpreter", "=", True)),
        q("photo", "attachment", ("Bifoga en bild om det hjälper (valfritt)",
                                  "Attach a picture if it helps (optional)"),
          allowed_types=IMAGES_AND_PDF, max_size=TEN_MB),
        q("photo_note", "string", ("Vad visar bilden?", "What does the picture show?"),
          max_length=200, show=when("photo", "exists", True)),
        contact_group(),
    ))

CHANGE_APPOINTMENT = FormDefinition(
    title=text(("Av- eller omboka tid", "Cancel or change an appointment")),
    items=(
        choice("action", ("Vad vill du göra?", "What would you like to do?"), [
            ("cancel", "Avboka tiden", "Cancel the appointment"),
            ("reschedule", "Boka om till en annan tid", "Move it to another time")],
               required=True),
        group("booked", ("Tiden du har bokad", "Your booked appointment"),
              q("booked.when", "dateTime", ("Datum och tid", "Date and time"), required=True),
              q("booked.with", "string", ("Hos vem eller vilken mottagning?",
                                          "With whom or at which clinic?"), max_length=120),
              required=True),
        display("late_notice", (
            "Avbokning senare än 24 timmar före besöket kan debiteras.",
            "Cancelling later than 24 hours before the visit may be charged."),
            show=when("action", "=", "cancel")),
        q("cancel_reason", "text", ("Anledning (valfritt)", "Reason (optional)"),
          max_length=1000, show=when("action", "=", "cancel")),
        preferred_times("new_time", show=when("action", "=", "reschedule"), required=True),
        contact_group(),
    ))
