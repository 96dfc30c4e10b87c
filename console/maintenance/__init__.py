"""Maintenance windows (§7.2–§7.5): scheduling rules, the one-week / one-hour notices, calendars and feeds."""
