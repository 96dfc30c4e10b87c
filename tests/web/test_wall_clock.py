"""The list pages' fast date formatter writes exactly what babel writes, in both languages and across DST."""
from datetime import datetime, timedelta, timezone

import pytest
from babel.dates import format_datetime

from console.berlin_time import wall_clock_formatter
from console.clock import BERLIN

pytestmark = pytest.mark.no_db

# Midnight, noon, one minute before and after, both DST changes, a leap day, single- and double-digit fields.
INSTANTS = [datetime(2026, 1, 1, 0, 0, tzinfo=BERLIN), datetime(2026, 3, 29, 0, 59, tzinfo=timezone.utc),
            datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc), datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc),
            datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc), datetime(2028, 2, 29, 11, 59, 59, tzinfo=BERLIN),
            datetime(2026, 12, 24, 12, 0, tzinfo=BERLIN), datetime(2009, 7, 5, 23, 1, 2, tzinfo=BERLIN)]
INSTANTS += [datetime(2026, 6, 1, tzinfo=timezone.utc) + timedelta(minutes=97 * n) for n in range(60)]


@pytest.mark.parametrize("locale", ["de", "en"])
@pytest.mark.parametrize("fmt", ["short", "medium", "long", "full", "HH:mm", "EEE d. MMM yy, hh:mm a"])
def test_same_text_as_babel(locale, fmt):
    write = wall_clock_formatter(locale, fmt)
    for instant in INSTANTS:
        assert write(instant) == format_datetime(instant.astimezone(BERLIN), fmt, locale=locale), instant


def test_a_time_is_berlin_wall_clock_time():
    assert wall_clock_formatter("de", "short")(datetime(2026, 7, 1, 6, 5, tzinfo=timezone.utc)) == "01.07.26, 08:05"
    assert wall_clock_formatter("en", "short")(datetime(2026, 1, 1, 12, 5, tzinfo=timezone.utc)) == \
        "1/1/26, 1:05\u202fPM"
