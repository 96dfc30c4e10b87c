from tests.conftest import berlin


def test_schedule_and_list_from_the_command_line(app, network, freeze):
    freeze(berlin(2026, 11, 30, 10))
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["maintenance", "schedule", "--start", "2026-12-01T22:00", "--end",
                                  "2026-12-02T01:00", "--title-de", "Zu früh"])
    assert refused.exit_code != 0 and "earliest allowed start" in refused.output
    done = runner.invoke(args=["maintenance", "schedule", "--start", "2026-12-08T22:00", "--end",
                               "2026-12-09T01:00", "--title-de", "Kernel-Update"])
    assert done.exit_code == 0, done.output
    assert "announced" in done.output
    listing = runner.invoke(args=["maintenance", "list", "--json"])
    assert '"title": "Kernel-Update"' in listing.output and '"starts_at": "2026-12-08T21:00:00+00:00"' in listing.output
