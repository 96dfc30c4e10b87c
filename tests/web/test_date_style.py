"""One date and time style per language through the template filters."""
from datetime import date, datetime, timezone

import pytest
from flask import render_template_string
from flask_babel import force_locale

WINTER = datetime(2026, 12, 1, 13, 30, 45, tzinfo=timezone.utc)   # 14:30:45 in Berlin
SUMMER = datetime(2026, 7, 1, 12, 5, tzinfo=timezone.utc)         # 14:05 in Berlin


@pytest.mark.parametrize("language, winter, summer, day", [
    ("de", "01.12.2026, 14:30", "01.07.2026, 14:05", "24.12.2026"),
    ("en", "1 Dec 2026, 14:30", "1 Jul 2026, 14:05", "24 Dec 2026"),
])
def test_short_and_medium_are_one_style_without_seconds(app, language, winter, summer, day):
    with app.test_request_context(), force_locale(language):
        shown = render_template_string('{{ w|when }}|{{ w|when("short") }}|{{ s|when }}|{{ d|day }}|{{ none|when }}',
                                       w=WINTER, s=SUMMER, d=date(2026, 12, 24), none=None)
    assert shown == f"{winter}|{winter}|{summer}|{day}|–"
