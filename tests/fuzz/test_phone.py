"""Phone numbers as people write them: to_e164 gives E.164 or InvalidNumber, never another exception; what
pretty() shows parses back to the same number."""
from __future__ import annotations

import phonenumbers
from hypothesis import example, given, strategies as st

from console.phone import InvalidNumber, area_prefix, in_area, pretty, to_e164, to_e164_prefix
from tests.fuzz.conftest import bounded

SEPARATORS = st.sampled_from([" ", "-", "/", ".", "", "  ", " - ", "\t"])
DIGITS = st.text("0123456789", min_size=1, max_size=6)


@st.composite
def written_numbers(draw) -> str:
    """A German or international number in one of the ways it is written: national, +49, 0049, +49 (0)…,
    groups split by spaces, dashes, slashes or dots, now and then an extension or a stray character."""
    prefix = draw(st.sampled_from(["0", "+49 ", "0049 ", "+49 (0)", "+49(0)", "0049 (0) ", "(0", "+", "00", "",
                                   "+43 ", "+1 ", "+44 (0)", "0041"]))
    groups = draw(st.lists(DIGITS, min_size=1, max_size=5))
    text = prefix + "".join(draw(SEPARATORS) + g for g in groups)
    if prefix == "(0":
        text = text.replace("(0", "(0", 1) + ")"
    suffix = draw(st.sampled_from(["", "", "-0", " ext. 12", " x5", " Durchwahl 3", ")", "a", "\x00", "#", "*"]))
    return text + suffix


ANYTHING = st.one_of(
    written_numbers(),
    st.text(max_size=40),
    st.text(st.characters(categories=["Nd"]), max_size=20),   # other scripts' digits: ٠١٢, ０１２, ...
    st.text("0123456789+()-/ \x00", max_size=400),              # huge lengths and NUL
)


@given(ANYTHING)
@example("+49 (0)30 1234567")
@example("0049 30 / 123 45-67")
@example("\x00")
@example("０３０ １２３４５６７")
@example("1" * 5000)
@bounded(400)
def test_to_e164_answers_a_number_or_invalid_number(raw):
    try:
        e164 = to_e164(raw)
    except InvalidNumber as exc:
        assert exc.raw == raw and str(exc.message)
        return
    number = phonenumbers.parse(e164)
    assert e164 == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    assert phonenumbers.is_valid_number(number)


@given(ANYTHING, st.sampled_from(["DE", "AT", "CH", "US", "XX", ""]))
@example("²³⁴⁵⁶⁷⁸", "DE")   # str.isdigit() takes superscripts: in_area must still answer None
@example("١٢٣٤٥٦٧", "DE")
@bounded(200)
def test_prefix_and_area_helpers_never_fail(raw, region):
    try:
        prefix = to_e164_prefix(raw, region)
        assert prefix.startswith("+") and prefix[1:].isdigit()
    except InvalidNumber:
        pass
    try:
        e164 = to_e164(raw, region)
    except InvalidNumber:
        e164 = raw
    area = area_prefix(e164)
    assert area is None or e164.startswith(area)
    completed = in_area(raw, "+4930")
    assert completed is None or completed == to_e164(completed)
    assert isinstance(pretty(raw), str)


@given(written_numbers())
@example("030 1234567")
@example("0171 2345678")
@bounded(300)
def test_what_pretty_shows_parses_back_to_the_same_number(raw):
    try:
        e164 = to_e164(raw)
    except InvalidNumber:
        return
    shown = pretty(e164)
    assert to_e164(shown) == e164
    assert to_e164(shown.replace(" ", "")) == e164
