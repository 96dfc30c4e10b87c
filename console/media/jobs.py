"""Background work of the media feature: plain functions the scheduler (or the CLI) calls in an app context."""
from __future__ import annotations

from console.jobs.shape import run_items
from console.media import services


def convert_pending() -> int:
    """Convert every stored upload that waits for it, one by one in the job shape (console.jobs.shape): the version
    shows CONVERTING while it is decoded outside any transaction, so the console stays writable meanwhile. A bad
    file marks its version failed (the original stays) and the rest go on; a version whose conversion crashed
    the job is taken again after services.STALE_CONVERSION, a few times. Returns how many were taken."""
    return run_items(claim=services.convertible, start=services.start_conversion, work=services.decode,
                     record=services.finish_conversion, fail=services.fail_conversion)
