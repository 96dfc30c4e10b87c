"""`flask --app app scheduler` and `flask --app app jobs …`."""
from __future__ import annotations

import click
from flask import current_app
from werkzeug.utils import import_string

from console.jobs import registry


@click.command("scheduler")
@click.option("--jobs", "jobs_from", default="console.jobs.registry:JOBS", show_default=True,
              help="import string of the job list (tests run their own)")
@click.option("--poll", default=2.0, show_default=True, help="seconds between lock checks")
def scheduler_command(jobs_from: str, poll: float):
    """Run the scheduler: one leader at a time runs every declared job; others wait to take over."""
    from console.jobs.scheduler import run_scheduler
    run_scheduler(current_app._get_current_object(), list(import_string(jobs_from)), poll_seconds=poll)


@click.group("jobs", help="The scheduler's jobs.")
def jobs_cli():
    pass


@jobs_cli.command("list")
def list_jobs():
    """The declared jobs and their intervals."""
    for job in registry.JOBS:
        click.echo(f"{job.id:<24} every {job.seconds:>5} s  {job.func}")


@jobs_cli.command("run-once")
@click.argument("job_id")
def run_once(job_id: str):
    """Run one job now, in this process (whether or not a scheduler runs)."""
    job = registry.find(job_id)
    if job is None:
        raise click.ClickException(f"no job {job_id!r}; known: {', '.join(j.id for j in registry.JOBS)}")
    import_string(job.func)()
    click.echo(f"{job.id} done")
