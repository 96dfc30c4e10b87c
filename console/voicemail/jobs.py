"""Background work of voicemail: plain functions the scheduler (or `flask jobs run-once`) calls."""
from __future__ import annotations

from console.jobs.shape import run_items
from console.voicemail import processing, retention


def process_stored() -> int:
    """Decode, name and mail every stored message, one by one in the job shape; returns how many were taken."""
    return run_items(claim=processing.claimable, start=processing.start, work=processing.decode,
                     record=processing.record, fail=processing.fail)


def clean_up_expired() -> int:
    """Delete messages past their customer's retention period, from the inbox and the store."""
    return run_items(claim=retention.expired, record=retention.expire, fail=retention.failed)
