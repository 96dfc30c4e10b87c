"""What operations keep in the database, so that every web machine shows it and it survives restarts:
each scheduled job's last run, and each backup and restore drill."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console import clock
from console.extensions import db


class JobStatus(db.Model):
    """One row per job id, written by the scheduler after every run (console.jobs.scheduler.run_job)."""
    __tablename__ = "ops_job_status"
    job_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_started_at: Mapped[datetime] = mapped_column()
    last_duration_seconds: Mapped[float] = mapped_column(Float)
    last_ok: Mapped[bool] = mapped_column(Boolean)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_ok_at: Mapped[datetime | None] = mapped_column()
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class BackupRecord(db.Model):
    """A backup that was written (or failed), or a restore drill and its result."""
    __tablename__ = "ops_backup_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)  # "backup" or "drill"
    finished_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    archive: Mapped[str | None] = mapped_column(String(500))
    size: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)


class DailyFigure(db.Model):
    """One operational figure of one Berlin day, sampled by the job ops.daily (console/ops/daily.py) for the
    Betrieb page's charts of the last days."""
    __tablename__ = "ops_daily_figure"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    sampled_at: Mapped[datetime] = mapped_column(default=clock.now)
