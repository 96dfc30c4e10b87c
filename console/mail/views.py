"""Staff see the outbox (queued, sent, failed, with the reason, "retry now"), the mail the embedded sink kept,
and inbound mail with its handler's outcome."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from console.auth.permissions import requires
from console.errors import RuleViolation
from console.bounds import is_ascii_digits, parse_int
from console.extensions import db
from console.mail import authresults, delivery, inbound
from console.mail.blueprint import bp
from console.mail.models import InboundMessage, InboundState, OutboxMessage, OutboxState
from console.mail.smtp import SmtpTarget
from console.mail.viewer import SentMail, html_body, parse, part_content, show
from console.web.render import Page, paginate, render, search

ASSIGNABLE = (InboundState.HELD, InboundState.FAILED)  # staff may file or set aside a message in these states
bp.add_app_template_filter(authresults.summary, "auth_summary")  # also on a mailed report's page


def _counts(model, states) -> dict[str, int]:
    rows = db.session.execute(select(model.state, func.count()).group_by(model.state)).all()
    found = {state.value: n for state, n in rows}
    return {s.value: found.get(s.value, 0) for s in states}


# --- outbox ------------------------------------------------------------------------------------------------

@bp.get("/outbox/")
@requires("view", "mail")
def outbox():
    query = search(select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()),
                    OutboxMessage.recipient, OutboxMessage.subject)
    state = request.args.get("state", "")
    if state in {s.value for s in OutboxState}:
        query = query.where(OutboxMessage.state == OutboxState(state))
    target = SmtpTarget.from_settings(current_app.extensions["settings"])
    return render("mail/outbox.html", "mail/_outbox_rows.html", page=paginate(query),
                  counts=_counts(OutboxMessage, OutboxState), target=target.describe())


@bp.get("/outbox/<int:message_id>")
@requires("view", "mail")
def outbox_message(message_id: int):
    row = db.get_or_404(OutboxMessage, message_id)
    return render("mail/outbox_message.html", row=row, shown=show(row.parsed),
                  part_url=lambda n: url_for("mail.outbox_part", message_id=row.id, n=n))


@bp.get("/outbox/<int:message_id>/part")
@requires("view", "mail")
def outbox_part(message_id: int):
    return _part(db.get_or_404(OutboxMessage, message_id).raw)


@bp.post("/outbox/<int:message_id>/retry")
@requires("manage", "mail")
def retry_outbox(message_id: int):
    row = db.get_or_404(OutboxMessage, message_id)
    if row.state is OutboxState.SENT:
        flash(_("This message was sent already."), "error")
    else:
        delivery.retry_now(row)
        db.session.commit()
        flash(_("The message is queued again and will be sent shortly."), "success")
    return redirect(url_for("mail.outbox_message", message_id=row.id), 303)


# --- sent mail (the embedded sink's Maildir) ------------------------------------------------------------------

@bp.get("/sent/")
@requires("view", "mail")
def sent():
    settings = current_app.extensions["settings"]
    box = SentMail(settings.maildir)
    keys = box.keys(queue_rank=_outbox_ids)
    per_page = settings.page_size
    page_no = max(1, request.args.get("page", 1, type=int) or 1)
    items = []
    for key in keys[(page_no - 1) * per_page:page_no * per_page]:
        raw = box.raw(key)
        if raw is not None:
            items.append((key, show(parse(raw))))
    page = Page(items=items, total=len(keys), page=page_no, per_page=per_page)
    return render("mail/sent.html", "mail/_sent_rows.html", page=page, embedded=not settings.smtp_url,
                  maildir=settings.maildir)


def _outbox_ids(message_ids: list[str]) -> dict[str, int]:
    """Message-ID → outbox row id: the order in which the console queued them."""
    ranks: dict[str, int] = {}
    for start in range(0, len(message_ids), 500):
        chunk = message_ids[start:start + 500]
        found = db.session.execute(select(OutboxMessage.message_id, OutboxMessage.id)
                                   .where(OutboxMessage.message_id.in_(chunk))).tuples().all()
        ranks.update(found)
    return ranks


@bp.get("/sent/<sent_key>")
@requires("view", "mail")
def sent_message(sent_key: str):
    raw = SentMail(current_app.extensions["settings"].maildir).raw(sent_key)
    if raw is None:
        abort(404)
    return render("mail/sent_message.html", key=sent_key, shown=show(parse(raw)),
                  part_url=lambda n: url_for("mail.sent_part", sent_key=sent_key, n=n))


@bp.get("/sent/<sent_key>/part")
@requires("view", "mail")
def sent_part(sent_key: str):
    raw = SentMail(current_app.extensions["settings"].maildir).raw(sent_key)
    if raw is None:
        abort(404)
    return _part(raw)


# --- inbound ---------------------------------------------------------------------------------------------------

@bp.get("/inbound/")
@requires("view", "mail")
def inbound_list():
    query = search(select(InboundMessage).order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc()),
                    InboundMessage.mail_from, InboundMessage.rcpt_to)
    state = request.args.get("state", "")
    if state in {s.value for s in InboundState}:
        query = query.where(InboundMessage.state == InboundState(state))
    return render("mail/inbound.html", "mail/_inbound_rows.html", page=paginate(query),
                  counts=_counts(InboundMessage, InboundState), addresses=inbound.address_map(),
                  domains=sorted(inbound.accepted_domains()))


@bp.get("/inbound/<int:inbound_id>")
@requires("view", "mail")
def inbound_message(inbound_id: int):
    row = db.get_or_404(InboundMessage, inbound_id)
    handler = inbound.assigner(row)
    choices = handler.assign_choices(row) if handler and row.state in ASSIGNABLE else None
    return render("mail/inbound_message.html", row=row, shown=show(row.parsed),
                  result=handler.result_link(row) if handler else None,
                  choices=choices, part_url=lambda n: url_for("mail.inbound_part", inbound_id=row.id, n=n))


@bp.get("/inbound/<int:inbound_id>/part")
@requires("view", "mail")
def inbound_part(inbound_id: int):
    return _part(db.get_or_404(InboundMessage, inbound_id).raw)


@bp.post("/inbound/<int:inbound_id>/retry")
@requires("manage", "mail")
def retry_inbound(inbound_id: int):
    row = db.get_or_404(InboundMessage, inbound_id)
    if row.state is InboundState.HANDLED:
        flash(_("This message was handled already."), "error")
    else:
        inbound.retry_now(row)
        db.session.commit()
        flash(_("The message will be handed to its handler again shortly."), "success")
    return redirect(url_for("mail.inbound_message", inbound_id=row.id), 303)


@bp.post("/inbound/<int:inbound_id>/assign")
@requires("manage", "mail")
def assign_inbound(inbound_id: int):
    """Staff act on a held (or failed) message for its sender, e.g. file it as a reseller's fault report."""
    row = db.get_or_404(InboundMessage, inbound_id)
    handler = inbound.assigner(row)
    if handler is None or row.state not in ASSIGNABLE:
        flash(_("This message has been dealt with already."), "error")
        return redirect(url_for("mail.inbound_message", inbound_id=row.id), 303)
    try:
        handler.assign_inbound(row, request.form.get("target", ""), current_user)
    except RuleViolation as exc:
        db.session.rollback()
        flash(exc.text(), "error")
        return redirect(url_for("mail.inbound_message", inbound_id=row.id), 303)
    db.session.commit()
    text, url = handler.result_link(row) or ("", url_for("mail.inbound_message", inbound_id=row.id))
    flash(_("Filed: %(what)s", what=text), "success")
    return redirect(url, 303)


@bp.post("/inbound/<int:inbound_id>/set-aside")
@requires("manage", "mail")
def set_aside_inbound(inbound_id: int):
    row = db.get_or_404(InboundMessage, inbound_id)
    if row.state not in ASSIGNABLE:
        flash(_("This message has been dealt with already."), "error")
    else:
        inbound.set_aside(row, current_user.email)
        db.session.commit()
        flash(_("The message is set aside; nothing was filed."), "success")
    return redirect(url_for("mail.inbound_message", inbound_id=row.id), 303)


def _part(raw: bytes) -> Response:
    """?n=html: the HTML body, sandboxed (no scripts, no forms, nothing loaded); ?n=<number>: an attachment."""
    message = parse(raw)
    which = request.args.get("n", "")
    if which == "html":
        html = html_body(message)
        if html is None:
            abort(404)
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; style-src 'unsafe-inline'; " \
                                                      "img-src data:; frame-ancestors 'self'"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response
    number = parse_int(which) if is_ascii_digits(which) else None
    if number is None or (found := part_content(message, number)) is None:
        abort(404)
    data, content_type, filename = found
    response = Response(data, content_type=content_type)
    response.headers.set("Content-Disposition", "attachment", filename=filename)  # downloaded, never shown inline
    return response
