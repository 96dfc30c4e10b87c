from __future__ import annotations

import json
from datetime import datetime, timezone

from console.billing import services

UTC = timezone.utc


def test_run_show_and_finalise_a_month_from_the_command_line(app, november_customer, freeze):
    freeze(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    runner = app.test_cli_runner()
    drafted = runner.invoke(args=["billing", "run", "--month", "2026-11"])
    assert drafted.exit_code == 0, drafted.output
    assert "2026-11 draft" in drafted.output and "net 50.00" in drafted.output
    shown = runner.invoke(args=["billing", "show", "--month", "2026-11", "--json"])
    statement = json.loads(shown.output.splitlines()[1])
    assert statement["totals_cents"] == {"net": 5000, "vat": 950, "gross": 5950}
    assert runner.invoke(args=["billing", "finalise", "--month", "2026-11"]).exit_code == 0
    again = runner.invoke(args=["billing", "run", "--month", "2026-11"])
    assert again.exit_code != 0 and "finalised" in again.output
    assert services.find_run(2026, 11).state.value == "final"


def test_prices_are_listed_and_set_with_a_clear_error_for_bad_input(app):
    runner = app.test_cli_runner()
    done = runner.invoke(args=["billing", "prices", "--set", "volle", "--price", "14,90", "--valid-from", "2026-12-01"])
    assert done.exit_code == 0, done.output
    assert "volle" in done.output and "14.90" in done.output
    bad = runner.invoke(args=["billing", "prices", "--set", "volle", "--price", "viel", "--valid-from", "2026-12-01"])
    assert bad.exit_code != 0 and "is not a price" in bad.output
    unknown = runner.invoke(args=["billing", "prices", "--set", "gold", "--price", "1", "--valid-from", "2026-12-01"])
    assert unknown.exit_code != 0 and "gold" in unknown.output
    no_date = runner.invoke(args=["billing", "prices", "--set", "volle", "--price", "1", "--valid-from", "morgen"])
    assert no_date.exit_code != 0 and "is not a date" in no_date.output
    missing = runner.invoke(args=["billing", "show", "--month", "2020-01"])
    assert missing.exit_code != 0 and "has no run yet" in missing.output
