"""The one declared job list. Features add a line here; each job finds its due work in the database."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    id: str                    # fixed id, e.g. "mail.deliver"
    func: str                  # import string; called with no arguments inside an app context, commits itself
    seconds: int               # interval


JOBS: list[Job] = [
    Job("mail.deliver", "console.mail.jobs:deliver_due", 10),
    Job("mail.inbound", "console.mail.jobs:dispatch_inbound", 60),
    Job(id="media.convert", func="console.media.jobs:convert_pending", seconds=5),
    Job(id="incidents.sla_warnings", func="console.incidents.jobs:warn_before_breach", seconds=60),
    Job(id="maintenance.notices", func="console.maintenance.jobs:send_due_notices", seconds=60),
    Job("directory.exchange_sync", "console.directory.jobs:sync_exchange", 60),
    Job("directory.private_books", "console.directory.jobs:reconcile_private_books", 600),
    Job("ops.backup", "console.ops.jobs:backup_when_due", 600),
    Job("ops.drill", "console.ops.drill:drill_when_due", 3600),
    Job("ops.watch", "console.ops.watch:warn_staff", 3600),
    Job("ops.daily", "console.ops.daily:record", 300),
    Job("billing.draft_month", "console.billing.jobs:draft_due", 3600),
    Job("billing.demo_notices", "console.billing.jobs:send_demo_notices", 3600),
    Job("voicemail.process", "console.voicemail.jobs:process_stored", 5),
    Job("voicemail.retention", "console.voicemail.jobs:clean_up_expired", 3600),
    Job("fax.received", "console.fax.jobs:deliver_received", 10),
    Job("fax.render", "console.fax.jobs:render_outgoing", 10),
]


def find(job_id: str, jobs: list[Job] | None = None) -> Job | None:
    return next((job for job in (JOBS if jobs is None else jobs) if job.id == job_id), None)
