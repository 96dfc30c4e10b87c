"""On finalising: each reseller gets its statement (CSV and PDF, its language); staff get the whole month."""
from __future__ import annotations

from flask import current_app

from console.billing.exports import in_language, statements_csv, total_rows
from console.billing.models import BillingRun
from console.billing.pdf import statements_pdf
from console.billing.statements import Statement, statements
from console.mail.outbox import Attachment, queue_mail


def _queue(run: BillingRun, key: str, to: str, language: str, chosen: list[Statement], reseller: str | None):
    every_line = [line for s in chosen for line in s.lines]
    with in_language(language):
        rows = total_rows(every_line, language)
    name = f"stimme-{run.label}" + (f"-{chosen[0].reseller.id}" if reseller else "")
    queue_mail(key=key, to=to, template="billing/statement", language=language,
               context={"month": run.label, "reseller": reseller, "total_rows": rows},
               attachments=[Attachment(f"{name}.csv", "text/csv", statements_csv(chosen, language)),
                            Attachment(f"{name}.pdf", "application/pdf",
                                       statements_pdf(chosen, language, run.label))])


def queue_statement_mails(run: BillingRun) -> None:
    """Queued in the finalising transaction under keys per month, so finalising again sends nothing twice."""
    every = statements(run)
    for statement in every:
        reseller = statement.reseller
        _queue(run, f"billing:{run.label}:reseller:{reseller.id}", reseller.notice_email,
               reseller.language or "de", [statement], reseller.name)
    settings = current_app.extensions["settings"]
    if every:
        _queue(run, f"billing:{run.label}:staff", settings.mail_staff_to, settings.default_language, every, None)
