import pytest

from console.phone import InvalidNumber, pretty, to_e164

# The many ways Germans write the same Berlin number.
BERLIN_WAYS = [
    "030 1234567", "030/1234567", "030-123 45 67", "(030) 123 45 67", "030 123 45 67",
    "+49 30 1234567", "+49 (0)30 1234567", "0049 30 1234567", "0049 (0) 30 1234567", "+49-30-1234567",
    "+4930 1234567", "+49301234567",
]


@pytest.mark.parametrize("written", BERLIN_WAYS)
def test_every_german_spelling_becomes_the_same_e164(written):
    assert to_e164(written) == "+49301234567"


def test_mobile_and_foreign_numbers():
    assert to_e164("0171 2345678") == "+491712345678"
    assert to_e164("+41 44 668 18 00") == "+41446681800"
    assert to_e164("044 668 18 00", region="CH") == "+41446681800"


@pytest.mark.parametrize("bad", ["", "hallo", "030", "12345", "+49 30 12", "0049"])
def test_invalid_numbers_are_refused_with_a_message(bad):
    with pytest.raises(InvalidNumber) as info:
        to_e164(bad)
    assert "030 1234567" in str(info.value.message)  # says what would be accepted


def test_pretty_prints_international_format():
    assert pretty("+49301234567") == "+49 30 1234567"
    assert pretty(None) == ""
