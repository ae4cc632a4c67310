"""Built-in forms: beställ journalkopia and byta vårdcentral / fast läkare."""

from services.forms.domain.model import FormDefinition
from services.forms.library.builder import choice, display, group, q, text, when

ORDER_RECORD_COPY = FormDefinition(
    title=text(("Beställ journalkopia", "Order a copy of your medical record")),
    description=text(("Du kan också läsa stora delar av din journal direkt i 1177.",
                      "You can also read much of your record directly in 1177.")),
    items=(
        choice("period", ("Vilken period?", "Which period?"), [
            ("all", "Hela journalen", "The whole record"),
            ("range", "En viss period", "A specific period")], required=True),
        group("range", ("Period", "Period"),
              q("range.from", "date", ("Från och med", "From"), required=True),
              q("range.to", "date", ("Till och med", "To"), required=True),
              show=when("period", "=", "range"), required=True),
        choice("parts", ("Vilka delar av journalen?", "Which parts of the record?"), [
            ("doctor", "Läkaranteckningar", "Doctor's notes"),
            ("nurse", "Sjuksköterskeanteckningar", "Nurse's notes"),
            ("lab", "Provsvar", "Test results"), ("imaging", "Röntgensvar", "X-ray reports"),
            ("medication", "Läkemedelslista", "Medication list"),
            ("other", "Annat", "Other")], required=True, repeats=True),
        q("parts_other", "string", ("Vad mer?", "What else?"), required=True, max_length=200,
          show=when("parts", "=", "other")),
        choice("delivery", ("Hur vill du få kopian?", "How would you like to receive it?"), [
            ("post", "Med post till folkbokföringsadressen", "By post to my registered address"),
            ("pickup", "Hämta på mottagningen", "Collect at the clinic")], required=True),
        display("pickup_id", ("Ta med giltig legitimation när du hämtar.",
                              "Bring valid ID when you collect it."),
                show=when("delivery", "=", "pickup")),
    ))

CHANGE_CARE_CENTRE = FormDefinition(
    title=text(("Byta vårdcentral eller fast läkare", "Change care centre or regular doctor")),
    items=(
        choice("change", ("Vad vill du byta?", "What would you like to change?"), [
            ("centre", "Vårdcentral", "Care centre"), ("doctor", "Fast läkare", "Regular doctor"),
            ("both", "Båda", "Both")], required=True),
        q("new_centre", "string", ("Vilken vårdcentral vill du lista dig på?",
                                   "Which care centre would you like to register with?"),
          required=True, max_length=120, show=when("change", "!=", "doctor")),
        q("new_doctor", "string", ("Önskad läkare (om du har ett önskemål)",
                                   "Preferred doctor (if you have a wish)"),
          max_length=120, show=when("change", "!=", "centre")),
        q("from_date", "date", ("Från när ska bytet gälla?", "From when should it apply?")),
        q("reason", "text", ("Anledning (valfritt)", "Reason (optional)"), max_length=1000),
        q("confirm", "boolean", ("Jag förstår att jag flyttas från min nuvarande vårdcentral.",
                                 ("I understand that I will be moved from my current care "
                                 "centre.")), required=True,
          show=when("change", "!=", "doctor")),
    ))
