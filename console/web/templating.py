"""Template filters and globals: dates and numbers in the user's language, Berlin wall-clock times."""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import format_date, format_decimal, get_locale, get_translations
from jinja2 import pass_context

from console import LANGUAGES
from console import clock, servicehours
from console.berlin_time import describe, wall_clock_formatter
from console.phone import pretty


# One date and time style per language, on every page (no seconds; every time shown is Berlin time, so no zone):
# German 01.12.2026, 14:30; English 1 Dec 2026, 14:30 (day before month, 24-hour clock: never 12/1/26, 2:30 PM).
WHEN = {"de": "dd.MM.y, HH:mm", "en": "d MMM y, HH:mm"}
DAY = {"de": "dd.MM.y", "en": "d MMM y"}


def register(app: Flask) -> None:
    # The catalogue and locale of the page, looked up once per render: flask_babel looks both up through the
    # request context for every string and every date (about 160 lookups on the fault report list).
    @app.context_processor
    def language():
        return {"translations": get_translations(), "locale": str(get_locale())}

    @pass_context
    def translate(context, string: str) -> str:
        return (context.get("translations") or get_translations()).ugettext(string)

    @pass_context
    def translate_plural(context, singular: str, plural: str, n: int) -> str:
        return (context.get("translations") or get_translations()).ungettext(singular, plural, n)
    app.jinja_env.install_gettext_callables(gettext=translate, ngettext=translate_plural, newstyle=True)

    @app.template_filter("when")
    @pass_context
    def when(context, value: datetime | None, fmt: str = "medium") -> str:
        """An instant as Berlin wall-clock time in the one style of the user's language (WHEN): "short" and
        "medium" are the same, without seconds; "seconds" adds them; "full" names the weekday, the zone and its offset; another
        value is a babel pattern (e.g. "HH:mm")."""
        if not value:
            return "–"
        locale = context.get("locale") or str(get_locale())
        if fmt == "full":
            return describe(value, "en" if locale.startswith("en") else "de")
        if fmt == "seconds":   # where the order of events within a minute matters (the mail log)
            return wall_clock_formatter(locale, WHEN.get(locale[:2], WHEN["de"]) + ":ss")(value)
        return wall_clock_formatter(locale, WHEN.get(locale[:2], WHEN["de"]) if fmt in ("short", "medium")
                                    else fmt)(value)

    @app.template_filter("day")
    @pass_context
    def day(context, value: date | None) -> str:
        if not value:
            return "–"
        locale = context.get("locale") or str(get_locale())
        return format_date(value, DAY.get(locale[:2], DAY["de"]))

    @app.template_filter("number")
    def number(value, digits: int | None = None) -> str:
        """A number in the user's locale (99,8 in German), with a fixed count of decimals if given."""
        if digits is None:
            return format_decimal(value)
        return format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0")

    app.jinja_env.filters["phone"] = pretty
    app.jinja_env.globals["now"] = clock.now
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["describe"] = describe
    app.jinja_env.globals["is_holiday"] = servicehours.is_holiday

    @pass_context
    def holiday_name(context, value: date) -> str | None:
        """The holiday's name in the page's language (Tag der Deutschen Einheit / German Unity Day)."""
        return servicehours.holiday_name(value, context.get("locale") or str(get_locale()))
    app.jinja_env.globals["holiday_name"] = holiday_name

    @app.template_filter("day_month")
    def day_month(value: date) -> str:
        return format_date(value, "MMMM y")

    @app.template_filter("weekday_short")
    def weekday_short(value: date) -> str:
        return format_date(value, "EEE")
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
