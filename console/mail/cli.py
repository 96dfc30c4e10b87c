"""`flask --app app mail …` and `flask --app app smtpd`."""
from __future__ import annotations

import click
from flask import current_app
from flask_babel import gettext as _

from console.cli_types import Id, Port, Seconds, not_found
from console.extensions import db


@click.group("mail", help="The outbox, delivery and the embedded mail sink.")
def mail_cli():
    pass


@mail_cli.command("deliver")
def deliver():
    """Send every due message now."""
    from console.mail.jobs import deliver_due
    report = deliver_due()
    click.echo(str(report))


@mail_cli.command("worker")
@click.option("--poll", default=2.0, show_default=True, type=Seconds(0.05, 3600),
              help="seconds between looks at the outbox")
def worker(poll: float):
    """Send due mail until stopped (SIGTERM/Ctrl-C); run as many as needed, each claims its own messages."""
    from console.jobs.scheduler import _stop_on_signals
    from console.mail.jobs import deliver_due
    stop = _stop_on_signals()
    click.echo(f"mail worker: looking every {poll} s")
    while not stop.is_set():
        try:
            deliver_due()
        except Exception:  # noqa: BLE001 - a broken round is logged; the next one tries again
            db.session.rollback()
            current_app.logger.exception("mail worker round failed")
        finally:
            db.session.remove()
        stop.wait(poll)


@mail_cli.command("retry")
@click.argument("message_id", type=Id())
def retry(message_id: int):
    """Put the failed or waiting message MESSAGE_ID back in the queue, due now (the mail worker sends it)."""
    from console.mail.delivery import retry_now
    from console.mail.models import OutboxMessage, OutboxState
    row = db.session.get(OutboxMessage, message_id)
    if row is None:
        raise not_found(_("There is no outbox message %(id)d.", id=message_id), "MESSAGE_ID")
    if row.state is OutboxState.SENT:
        raise click.ClickException(f"message {message_id} was sent at {row.sent_at:%Y-%m-%d %H:%M} UTC")
    retry_now(row)
    db.session.commit()
    click.echo(f"message {message_id} to {row.recipient} queued again")


@mail_cli.command("sink")
@click.option("--port", type=Port(), help="the port to listen on (default: MAIL_SINK_PORT)")
def sink(port: int | None):
    """Run the embedded SMTP sink that keeps every message in the Maildir (when SMTP_URL is unset)."""
    from console.mail.smtpd import serve, sink_controller
    settings = current_app.extensions["settings"]
    serve(sink_controller(settings.maildir, port or settings.mail_sink_port), f"mail sink ({settings.maildir})")


@click.command("smtpd")
def smtpd_command():
    """Receive mail for INBOUND_DOMAINS and hand it to the handlers (stored first)."""
    from console.mail.smtpd import inbound_controller, serve
    serve(inbound_controller(current_app._get_current_object()), "inbound SMTP")
