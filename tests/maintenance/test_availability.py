"""Announced windows are not outage time (§7.3, §7.6) — with real windows from the maintenance feature."""
from console.incidents import availability
from console.incidents.services import save_outage
from console.maintenance import jobs, services
from tests.conftest import berlin


def test_only_the_announced_part_of_a_window_is_excused(network, schedule, freeze):
    freeze(berlin(2026, 11, 30, 10))
    window = schedule(berlin(2026, 12, 8, 22), berlin(2026, 12, 9, 2))
    freeze(berlin(2026, 12, 8, 22))
    jobs.send_due_notices()
    freeze(berlin(2026, 12, 9, 1, 30))
    services.extend(window, berlin(2026, 12, 9, 3))
    # the platform was down from 21:30 (before the window) until 03:00 (an hour past the announced end)
    save_outage(None, start=berlin(2026, 12, 8, 21, 30), end=berlin(2026, 12, 9, 3), platform_wide=True, pbxs=[],
                incidents=[], description="Plattform nicht erreichbar")
    freeze(berlin(2026, 12, 31, 12))
    down = availability.outage_intervals(berlin(2026, 12, 1), berlin(2027, 1, 1))
    assert sum((b - a).total_seconds() for a, b in down) == 90 * 60  # 30 min before + 60 min overrun
