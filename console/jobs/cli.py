"""`flask --app app scheduler` and `flask --app app jobs …`."""
from __future__ import annotations

import click
from flask import current_app
from flask_babel import gettext as _
from werkzeug.utils import ImportStringError, import_string

from console.cli_types import Seconds, Text, not_found
from console.jobs import registry


class JobList(Text):
    """An import string naming a list of jobs, imported while the command line is parsed."""
    name = "module:attribute"
    example = "console.jobs.registry:JOBS"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        value = super().convert(value, param, ctx)
        try:
            jobs = import_string(value)
        except (ImportStringError, ImportError, ValueError):
            jobs = None
        if not isinstance(jobs, (list, tuple)):
            self.fail(_("“%(value)s” names no list of jobs; write module:attribute, e.g. %(example)s.",
                        value=value[:100], example=self.example), param, ctx)
        return list(jobs)


@click.command("scheduler")
@click.option("--jobs", "jobs", default="console.jobs.registry:JOBS", show_default=True, type=JobList(200),
              help="import string of the job list (tests run their own)")
@click.option("--poll", default=2.0, show_default=True, type=Seconds(0.05, 3600),
              help="seconds between lock checks")
def scheduler_command(jobs: list, poll: float):
    """Run the scheduler: one leader at a time runs every declared job; others wait to take over."""
    from console.jobs.scheduler import run_scheduler
    run_scheduler(current_app._get_current_object(), jobs, poll_seconds=poll)


@click.group("jobs", help="The scheduler's jobs.")
def jobs_cli():
    pass


@jobs_cli.command("list")
def list_jobs():
    """The declared jobs and their intervals."""
    for job in registry.JOBS:
        click.echo(f"{job.id:<24} every {job.seconds:>5} s  {job.func}")


@jobs_cli.command("run-once")
@click.argument("job_id", type=Text(100))
def run_once(job_id: str):
    """Run the job JOB_ID now, in this process (whether or not a scheduler runs); `jobs list` names them."""
    job = registry.find(job_id)
    if job is None:
        raise not_found(_("There is no job “%(id)s”; the jobs are: %(known)s.", id=job_id,
                          known=", ".join(j.id for j in registry.JOBS)), "JOB_ID")
    import_string(job.func)()
    click.echo(f"{job.id} done")
