"""A statement as a PDF (reportlab): one section per reseller, the totals of each and, for several, of all."""
from __future__ import annotations

import io

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

from console.billing.exports import line_cells, in_language, total_rows
from console.billing.statements import Statement

_GRID = TableStyle([("FONTSIZE", (0, 0), (-1, -1), 8), ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke), ("ALIGN", (4, 1), (6, -1), "RIGHT")])


def statements_pdf(statements: list[Statement], language: str, month: str) -> bytes:
    with in_language(language):
        styles = getSampleStyleSheet()
        story = [Paragraph(escape(_("Statement %(month)s", month=month)), styles["Title"]),
                 Paragraph(escape(_("Licences at their monthly peak and on-site work; a statement for "
                                    "accounting, not an invoice.")), styles["Normal"]), Spacer(1, 6 * mm)]
        every_line = []
        for statement in statements:
            story.append(Paragraph(escape(statement.reseller.name), styles["Heading2"]))
            header = [_("Customer"), _("Customer number"), _("Kind"), _("Item"), _("Quantity"),
                      _("Unit price (EUR)"), _("Amount (EUR)"), _("Reference"), _("Date")]
            rows = [header] + [line_cells(line, language) for line in statement.lines]
            rows += [["", "", "", label, "", "", amount, "", ""] for label, amount in
                     total_rows(statement.lines, language)]
            story += [Table(rows, repeatRows=1, style=_GRID), Spacer(1, 6 * mm)]
            every_line += statement.lines
        if len(statements) > 1:
            story.append(Paragraph(escape(_("All resellers")), styles["Heading2"]))
            story.append(Table([[label, amount] for label, amount in total_rows(every_line, language)],
                               style=_GRID))
        buffer = io.BytesIO()
        SimpleDocTemplate(buffer, pagesize=landscape(A4), title=_("Statement %(month)s", month=month),
                          leftMargin=12 * mm, rightMargin=12 * mm).build(story)
        return buffer.getvalue()
