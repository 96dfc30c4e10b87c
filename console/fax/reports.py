"""Delivery reports (§4.3) on success and failure, to the sender in their language: the number and its name,
pages sent of pages total, duration, every attempt with its time and reason, the remote station id — with a
transmission report PDF (reportlab) that shows a thumbnail of page 1, as a fax machine prints one."""
from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, gettext as _
from flask_babel import lazy_gettext as _l

from console import clock
from console.fax import numbers, store
from console.fax.models import Fax, FaxState, Reason
from console.mail.outbox import Attachment, queue_mail
from console.phone import pretty

BERLIN = ZoneInfo("Europe/Berlin")

REASONS = {
    Reason.BUSY: _l("busy"),
    Reason.NO_ANSWER: _l("no answer"),
    Reason.NO_FAX_TONE: _l("no fax machine answered"),
    Reason.PARTIAL: _l("connection broke off during sending"),
    Reason.REJECTED: _l("refused by the remote station"),
}

FAILURES = {
    "one_pdf": _l("Send exactly one PDF per fax: this mail had %(pdfs)s PDF attachment(s) and %(others)s other "
                  "attachment(s)."),
    "not_pdf": _l("The attachment is not a PDF document, although its name may end in .pdf."),
    "damaged": _l("The PDF is damaged or incomplete and cannot be read. Save it again and resend it."),
    "encrypted": _l("The PDF is protected by a password. Send it without a password to open it."),
    "no_pages": _l("The PDF has no pages."),
    "too_many_pages": _l("The PDF has %(pages)s pages; a fax may have at most %(limit)s."),
    "page_size": _l("Page %(page)s is %(width_mm)s × %(height_mm)s mm; a fax page may be at most A3 "
                    "(297 × 420 mm)."),
    "javascript": _l("The PDF contains JavaScript. Print it to a plain PDF and send that."),
    "image_too_large": _l("Page %(page)s contains an image of %(width)s × %(height)s pixels, far more than a fax "
                          "page can show. Reduce the image and resend."),
    "too_complex": _l("The PDF could not be rendered within the limits for a fax (memory and time). Simplify or "
                      "print it to a plain PDF and resend."),
    "gave_up": _l("The fax could not be delivered after %(attempts)s attempt(s)."),
}


def failure_text(code: str | None, params: dict | None = None) -> str:
    message = FAILURES.get(code or "")
    return str(message) % (params or {}) if message is not None else str(code or "")


def reason_of(fax: Fax) -> str:
    """Why the fax failed, in the current language."""
    return failure_text(fax.failure_code, {"attempts": fax.attempts, **(fax.failure_params or {})})


def _local(instant: datetime | None) -> str:
    return instant.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M:%S") if instant else "–"


def _thumbnail(fax: Fax) -> bytes | None:
    """Page 1 of the fax pages as a small PNG, or None when there are no pages (a refused PDF)."""
    from PIL import Image
    if not fax.tiff_path:
        return None
    with Image.open(store.path_of(fax.tiff_path)) as tiff:
        tiff.seek(0)
        page = tiff.convert("L")
    page = page.resize((page.width // 6, round(page.height * 204 / 196) // 6), Image.Resampling.BOX)
    out = io.BytesIO()
    page.save(out, format="PNG")
    return out.getvalue()


def report_pdf(fax: Fax, name: str | None) -> bytes:
    """The transmission report: the facts as in the mail, and the page-1 thumbnail."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    width, height = A4
    c.setTitle(_("Fax transmission report"))
    c.setFont("Helvetica-Bold", 16)
    c.drawString(56, height - 64, _("Fax transmission report"))
    ok = fax.state is FaxState.SENT
    c.setFont("Helvetica", 11)
    lines = [
        (_("Result"), _("sent") if ok else _("not sent")),
        (_("To"), f"{pretty(fax.remote_number)}" + (f" ({name})" if name else "")),
        (_("From"), pretty(fax.local_number)),
        (_("Pages"), _("%(sent)s of %(total)s", sent=fax.pages_sent, total=fax.pages or 0)),
        (_("Duration"), _("%(s)s s", s=sum(a.duration_s or 0 for a in fax.tries))),
        (_("Remote station"), fax.remote_station or "–"),
        (_("Subject"), fax.subject or "–"),
    ]
    if not ok and fax.failure_code:
        lines.append((_("Reason"), reason_of(fax)[:110]))
    y = height - 100
    for label, value in lines:
        c.drawString(56, y, f"{label}:")
        c.drawString(180, y, str(value)[:70])
        y -= 18
    y -= 6
    c.setFont("Helvetica-Bold", 11)
    c.drawString(56, y, _("Attempts"))
    c.setFont("Helvetica", 10)
    for attempt in fax.tries:
        y -= 15
        outcome = _("sent") if attempt.ok else str(REASONS.get(attempt.reason, "–"))
        c.drawString(56, y, f"{attempt.number}. {_local(attempt.started_at)} – {outcome} – "
                            f"{_('%(n)s page(s)', n=attempt.pages_sent)}")
    thumb = _thumbnail(fax)
    if thumb is not None:
        image = ImageReader(io.BytesIO(thumb))
        w, h = image.getSize()
        scale = min(220 / w, 300 / h)
        c.drawImage(image, width - 56 - w * scale, 60, w * scale, h * scale)
        c.rect(width - 56 - w * scale, 60, w * scale, h * scale)
        c.drawString(width - 56 - w * scale, 48, _("Page 1"))
    c.showPage()
    c.save()
    return out.getvalue()


def cover_pdf(fax: Fax, sender, text: str) -> bytes:
    """A cover page (reportlab) from the mail's subject and text, in the sender's language."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from xml.sax.saxutils import escape
    styles = getSampleStyleSheet()
    out = io.BytesIO()
    with force_locale(numbers.language_of(sender)):
        story = [Paragraph(escape(_("Fax")), styles["Title"]),
                 Paragraph(escape(f"{_('To')}: {pretty(fax.remote_number)}"), styles["Normal"]),
                 Paragraph(escape(f"{_('From')}: {sender.name}, {pretty(fax.local_number)}"), styles["Normal"]),
                 Paragraph(escape(f"{_('Date')}: {_local(clock.now())}"), styles["Normal"]), Spacer(1, 18)]
    if fax.subject:
        story.append(Paragraph(escape(fax.subject), styles["Heading2"]))
    for paragraph in text.strip().split("\n\n")[:40]:
        story.append(Paragraph(escape(paragraph).replace("\n", "<br/>"), styles["Normal"]))
    SimpleDocTemplate(out, pagesize=A4, title=fax.subject or "Fax").build(story)
    return out.getvalue()


def queue_report(fax: Fax, *, address: str | None = None) -> None:
    """Tell the sender how the fax went (flushes), as their options allow: a confirmation on success, an error
    mail on failure; the report PDF attached when they want it."""
    user = fax.phone_user
    options = numbers.settings_for(user) if user is not None else None
    ok = fax.state is FaxState.SENT
    if options is not None and not (options.send_confirmation if ok else options.error_mail):
        return
    to = address or fax.sender_email or (user.email if user else None)
    if not to:
        return
    language = numbers.language_of(user) if user is not None else current_app.extensions["settings"].default_language
    name = None
    if ok or fax.tries:
        from console.fax.incoming import caller_name
        name = caller_name(fax)
    with force_locale(language):
        reason = reason_of(fax)
        attachments = ()
        if options is None or options.report_pdf:
            attachments = (Attachment(f"fax-report-{fax.id}.pdf", "application/pdf", report_pdf(fax, name)),)
    queue_mail(key=f"fax-report:{fax.id}:{fax.state.value}", to=to, template="fax_report", language=language,
               context={"fax": fax, "ok": ok, "reason": None if ok else reason, "to": pretty(fax.remote_number)
                        if fax.remote_number.startswith("+") else fax.remote_number, "name": name,
                        "reasons": REASONS, "local": _local, "duration": sum(a.duration_s or 0 for a in fax.tries),
                        "now": clock.now()},
               attachments=attachments)
