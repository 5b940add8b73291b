"""The one duration grammar, and the bounds of the threshold grammar's numbers."""

import pytest

from resilience_cli.scenarios.durations import parse_seconds
from resilience_cli.scenarios.thresholds import ThresholdError, equality, parse_threshold


@pytest.mark.parametrize("text", ["\u0663s", "\uff13s", "3\u00b2s"])
def test_durations_read_ascii_digits_only(text: str) -> None:
    """Digits of other scripts are not digits of a duration, as in the threshold grammar."""
    with pytest.raises(ValueError, match="must be a number of seconds"):
        parse_seconds(text)
    with pytest.raises(ThresholdError):
        parse_threshold(f"max < {text}")


def test_a_huge_integer_is_refused_before_any_float_is_made() -> None:
    """`equality` compares a 400-digit integer with the bound; float() would overflow."""
    with pytest.raises(ThresholdError, match="too large"):
        equality(10**400)


@pytest.mark.parametrize(
    "text",
    ["count >= 10000000000000000", "p(95) < 99999999999999999999ms", "max < 1000000000000001s"],
)
def test_threshold_numbers_have_a_bound(text):
    """A number past 10**15 in a threshold is refused where it starts."""
    with pytest.raises(ThresholdError, match="too large") as caught:
        parse_threshold(text)
    assert text[caught.value.column].isdigit()


@pytest.mark.parametrize(
    ("value", "seconds"), [(86_400, 86_400.0), ("1440m", 86_400.0), ("86400000ms", 86_400.0)]
)
def test_a_duration_may_last_a_day(value, seconds):
    """A day is the longest duration, however it is written."""
    assert parse_seconds(value) == seconds


@pytest.mark.parametrize("value", [86_401, 10**400, "1441m", "9" * 400 + "s", 86_400.5])
def test_a_duration_past_a_day_is_refused(value):
    """Longer than a day, or a number with no float at all: refused with the bound."""
    with pytest.raises(ValueError, match="must be at most 86400 seconds"):
        parse_seconds(value)


def test_a_hugely_negative_integer_is_refused_without_a_float():
    """-10**400 has no float either: it is refused as a negative duration."""
    with pytest.raises(ValueError, match="must be >= 0"):
        parse_seconds(-(10**400))
