"""Printable letters (PDF, fpdf2): the activation letter with a one-time code.

The address block sits where a C5/DL window envelope shows it. A person with protected
identity (sekretessmarkering) gets no address: the block carries their name and
personnummer, which Skatteverket's mail forwarding needs on the sealed inner envelope; the
print operator puts it in an outer envelope to Skatteverket's forwarding address (the print
queue says so), and Skatteverket delivers it. Core PDF fonts are used so nothing has to be
installed; they cover Latin-1, and other characters are written without their accents."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from fpdf import FPDF

_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
           "september", "oktober", "november", "december")


@dataclass(frozen=True)
class Recipient:
    name: str
    address_lines: tuple[str, ...]  # empty for protected identity
    forwarded_by_skatteverket: bool = False
    personnummer: str | None = None  # YYYYMMDD-NNNN; only printed when forwarded


_NO_DECOMPOSITION = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i",
                                    "Œ": "OE", "œ": "oe"})


def _latin1(text: str) -> str:
    """Text the core fonts can draw: Latin-1 as is; other letters without their accents."""
    return "".join(c if ord(c) < 256 else _plain(c) for c in text)


def _plain(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", char.translate(_NO_DECOMPOSITION))
                   if not unicodedata.combining(c))
    return base if base and all(ord(c) < 256 for c in base) else "?"


def swedish_date(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _address_block(recipient: Recipient) -> list[str]:
    if recipient.forwarded_by_skatteverket:
        return [recipient.name, f"Personnummer {recipient.personnummer}",
                "Förmedlas av Skatteverket"]
    return [recipient.name, *recipient.address_lines]


def activation_letter(recipient: Recipient, code: str, *, expires: date, today: date,
                      login_url: str) -> bytes:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title("Aktiveringskod, Mina vårdkontakter")  # no personal data in the metadata
    pdf.set_creator("Mina vårdkontakter")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()

    def write(text: str, size: float = 10, style: str = "", height: float = 5.0) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(0, height, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    pdf.set_xy(20, 15)
    write("Mina vårdkontakter\n1177 e-tjänster", 9, "B", 4.5)
    pdf.set_xy(140, 15)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(50, 4.5, _latin1(swedish_date(today)), align="R")
    pdf.set_xy(20, 45)  # the window of a C5/DL envelope
    pdf.set_left_margin(20)
    write("\n".join(_address_block(recipient)), 11, "", 5.5)
    pdf.set_xy(20, 100)
    pdf.set_right_margin(20)
    write("Din aktiveringskod till Mina vårdkontakter", 15, "B", 8)
    pdf.ln(2)
    write("Du har beställt en aktiveringskod. Med koden och ditt personnummer väljer du ett "
          "lösenord första gången du loggar in. Med lösenord ser du att du har meddelanden; "
          "för att läsa och skicka meddelanden loggar du in med e-legitimation.")
    pdf.ln(4)
    write("Aktiveringskod:", 11, "B")
    pdf.set_font("Courier", "B", 22)
    pdf.cell(0, 14, code, border=1, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    write(f"Koden gäller en gång, till och med {swedish_date(expires)}.", 10, "B")
    pdf.ln(3)
    write(f"1. Gå till {login_url} och välj \"Aktivera konto med kod\".\n"
          "2. Skriv ditt personnummer och aktiveringskoden.\n"
          "3. Välj ett lösenord med minst 10 tecken som du inte använder någon annanstans.")
    pdf.ln(3)
    write("Har du inte beställt koden? Då kan du bortse från brevet; ingen kan använda koden "
          "utan att ha brevet. Beställer du en ny kod slutar den här att gälla.", 9)
    pdf.ln(5)
    write("In English: this is your one-time activation code for Mina vårdkontakter. Go to "
          f"{login_url}, choose \"Activate account with code\", enter your personnummer and "
          f"the code above, and choose a password. The code is valid until {expires:%Y-%m-%d}. "
          "A password login shows that you have messages; reading and sending them needs "
          "e-legitimation.", 8, "I", 4)
    return bytes(pdf.output())
