"""Letters to complainants who write by post: the same text as the e-mail would carry, laid out as a letter,
as an HTML page to print from a browser and as a PDF (fpdf2: pure Python, no system library).

A letter is rendered when a handler asks for it, from the case as it is and the complainant's sealed
contact; the record of it is the message on the case (decided, then posted by the handler).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fpdf import FPDF
from jinja2 import Environment, select_autoescape

from complaints.adapters.mail import Rendered


@dataclass(frozen=True)
class Letter:
    sender: str
    recipient: tuple[str, ...]  # the name and the postal address, a line each
    on: date
    reference: str
    subject: str
    body: str


def letter(rendered: Rendered, *, sender: str, contact: dict[str, str], reference: str, on: date) -> Letter:
    recipient = tuple(line.strip() for line in [contact.get("name") or "", *(contact.get("address") or "").split(",")]
                      if line.strip())
    return Letter(sender=sender, recipient=recipient, on=on, reference=reference, subject=rendered.subject,
                  body=rendered.body.rstrip())


PAGE = Environment(autoescape=select_autoescape(default=True)).from_string("""<!doctype html>
<html><head><meta charset="utf-8"><title>{{ l.reference }}: {{ l.subject }}</title>
<style>
  @page { size: A4; margin: 25mm 20mm; }
  body { font: 11pt/1.45 Helvetica, Arial, sans-serif; max-width: 170mm; margin: 0 auto; }
  .sender { font-weight: bold; } .recipient { margin: 20mm 0 12mm 90mm; } .meta { margin-bottom: 8mm; }
  .body { white-space: pre-wrap; }
</style></head>
<body>
<div class="sender">{{ l.sender }}</div>
<address class="recipient">{% for line in l.recipient %}{{ line }}<br>{% endfor %}</address>
<div class="meta">{{ l.on.isoformat() }} · {{ l.reference }}</div>
<h1 style="font-size: 12pt">{{ l.subject }}</h1>
<div class="body">{{ l.body }}</div>
</body></html>
""")


def html(letter: Letter) -> str:
    return PAGE.render(l=letter)


def pdf(letter: Letter) -> bytes:
    document = FPDF(format="A4")
    # The core fonts in Windows-1252: Dutch and French letters, the euro sign and typographic quotes; a
    # character outside it (rare in a letter) prints as "?" rather than failing the letter.
    document.core_fonts_encoding = "windows-1252"
    document.set_title(f"{letter.reference}: {letter.subject}")
    document.set_margins(20, 25, 20)
    document.add_page()

    def text(value: str) -> str:
        return value.encode("windows-1252", errors="replace").decode("windows-1252")

    document.set_font("Helvetica", "B", 11)
    document.cell(text=text(letter.sender), new_x="LMARGIN", new_y="NEXT")
    document.set_font("Helvetica", size=11)
    document.set_y(60)
    for line in letter.recipient:
        document.set_x(110)
        document.cell(text=text(line), new_x="LMARGIN", new_y="NEXT")
    document.set_y(100)
    document.cell(text=text(f"{letter.on.isoformat()} - {letter.reference}"), new_x="LMARGIN", new_y="NEXT")
    document.ln(6)
    document.set_font("Helvetica", "B", 12)
    document.multi_cell(0, text=text(letter.subject), new_x="LMARGIN", new_y="NEXT")
    document.ln(4)
    document.set_font("Helvetica", size=11)
    document.multi_cell(0, 6, text=text(letter.body), align="L")
    return bytes(document.output())
