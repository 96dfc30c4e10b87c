"""The one parser for times people type (CLI, forms): Berlin wall-clock time, or an instant with an offset."""
from datetime import datetime, timezone

import pytest

from console.berlin_time import parse_local, parse_typed
from console.errors import RuleViolation
from tests.conftest import utc


@pytest.mark.parametrize("typed, instant", [
    ("2026-12-21T22:00+00:00", utc(2026, 12, 21, 22)),     # winter: an offset is that instant
    ("2026-12-21 22:00Z", utc(2026, 12, 21, 22)),
    ("2026-12-21T22:00", utc(2026, 12, 21, 21)),          # no offset: Berlin, CET
    ("2026-07-01T22:00", utc(2026, 7, 1, 20)),            # CEST
    ("2027-03-28T02:30+01:00", utc(2027, 3, 28, 1, 30)),  # inside the gap, but with an offset it is one instant
    ("2026-10-25T02:30+02:00", utc(2026, 10, 25, 0, 30)),  # the doubled hour's first pass
    ("2026-10-25T02:30+01:00", utc(2026, 10, 25, 1, 30)),  # and its second
])
def test_typed_times(typed, instant):
    assert parse_typed(typed, "start") == instant


@pytest.mark.parametrize("typed, says", [
    ("2027-03-28T02:30", "does not exist on this day"),
    ("2026-10-25T02:30", "happens twice on this day"),
    ("morgen", "is not a date and time"),
    ("2026-12-08", "is not a date and time"),
    ("2026-13-01T10:00", "is not a date and time"),
    ("0001-01-01T00:00", "outside the years"),
    ("9999-12-31T23:59-05:00", "outside the years"),
    ("1999-12-31T23:59+00:00", "outside the years"),
])
def test_what_is_refused_says_why(typed, says):
    with pytest.raises(RuleViolation) as refused:
        parse_typed(typed, "start")
    assert says in refused.value.text() and "start" in refused.value.errors


def test_form_values_are_checked_by_the_same_rules():
    assert parse_local(datetime(2026, 12, 21, 22, tzinfo=timezone.utc), "x") == utc(2026, 12, 21, 22)
    with pytest.raises(RuleViolation, match="outside the years"):
        parse_local(datetime(1, 1, 1), "x")
