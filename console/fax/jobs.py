"""The fax jobs the scheduler runs (console.jobs.registry), each in the one job shape (console.jobs.shape):
received faxes converted and mailed, e-mailed PDFs checked and rendered to fax pages."""
from __future__ import annotations

from console.fax import incoming, outgoing
from console.jobs.shape import run_items


def deliver_received() -> int:
    return run_items(claim=incoming.due, start=incoming.start, work=incoming.convert, record=incoming.record,
                     fail=incoming.record_failure)


def render_outgoing() -> int:
    return run_items(claim=outgoing.due_renders, start=outgoing.start_render, work=outgoing.render,
                     record=outgoing.record_render, fail=outgoing.record_render_failure)
