import math
import random
from datetime import UTC, datetime
from email.utils import formatdate

import pytest

from resilience_cli.errors import ConfigError
from resilience_cli.patterns.outcome import Failure, Reason
from resilience_cli.patterns.retry import (
    RetryConfig,
    backoff_ceiling,
    decide_retry,
    full_jitter,
    parse_retry_after,
)

NOW = 1_767_225_600.0
RETRYABLE = Failure(Reason.HTTP_5XX, retryable=True)


@pytest.mark.parametrize(
    ("index", "expected"), [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (200, 5.0)]
)
def test_backoff_ceiling_doubles_up_to_the_cap(index, expected):
    """The jitter range's top is min(cap, base * 2**n), even for huge n."""
    assert backoff_ceiling(index, 0.5, 5.0) == expected


@pytest.mark.parametrize("index", [0, 1, 63, 64, 65, 1000])
def test_a_zero_base_gives_a_zero_ceiling_however_many_retries(index):
    """With base_delay 0 the ceiling is 0 * 2**n = 0, also past 64 retries."""
    assert backoff_ceiling(index, 0.0, 5.0) == 0.0


def test_full_jitter_is_seeded_and_within_range():
    """The same seed draws the same delays, each within [0, ceiling]."""
    first = [full_jitter(n, 0.5, 5.0, random.Random(7)) for n in range(6)]
    again = [full_jitter(n, 0.5, 5.0, random.Random(7)) for n in range(6)]
    assert first == again
    assert all(0 <= d <= backoff_ceiling(n, 0.5, 5.0) for n, d in enumerate(first))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        (" 3 ", 3.0),
        ("\t7", 7.0),
        ("0", 0.0),
        ("007", 7.0),
        ("1.5", None),  # delay-seconds = 1*DIGIT: no fractions...
        ("1e3", None),  # ...no exponents...
        ("1_000", None),  # ...no digit groups...
        ("+5", None),  # ...no sign...
        ("-1", None),
        ("\u0665", None),  # ...and only ASCII digits: ARABIC-INDIC FIVE is not one
        ("\uff15", None),  # FULLWIDTH DIGIT FIVE
        ("\u00a05", None),  # a no-break space is not optional whitespace
        ("5 5", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("", None),
        (formatdate(NOW + 30, usegmt=True), 30.0),
        (formatdate(NOW - 30, usegmt=True), 0.0),  # a date in the past sets no floor
        ("Wed, 21 Oct 2015 07:28:00", None),  # an IMF-fixdate must say GMT
        ("Thu, 01 Jan 2026 00:00:30 UTC", None),  # only GMT
        ("Thu, 01 Jan 2026 00:00:30 +0000", None),
        ("Thu, 01 Jan 2026 00:00:30 gmt", None),  # HTTP-date is case-sensitive
        ("Thu, 1 Jan 2026 00:00:30 GMT", None),  # day = 2DIGIT
        ("Thu, 31 Feb 2026 00:00:30 GMT", None),  # no such day
        ("Thu, 01 Jan 2026 24:00:30 GMT", None),
        ("Thu, 01 Jan 2026 00:00:60 GMT", 60.0),  # a leap second is allowed
        # The obsolete forms, which recipients MUST accept (RFC 9110, section 5.6.7):
        ("Thursday, 01-Jan-26 00:00:30 GMT", 30.0),  # rfc850-date
        ("Thursday, 01-Jan-26 00:00:30 UTC", None),
        ("Thu Jan  1 00:00:30 2026", 30.0),  # asctime-date, GMT by definition
        ("Thu Jan 01 00:00:30 2026", 30.0),
        ("Thu Jan 1 00:00:30 2026", None),  # day = 2DIGIT / ( SP DIGIT )
        ("Thu Jan  1 00:00:30 2026 GMT", None),
    ],
)
def test_parse_retry_after_table(header, expected):
    """Retry-After is delay-seconds or an HTTP-date in one of its three forms (RFC 9110)."""
    assert parse_retry_after(header, NOW) == expected


@pytest.mark.parametrize(
    ("header", "year"),
    [
        ("Wednesday, 01-Jan-76 00:00:00 GMT", 2076),  # 50 years ahead: still this century
        ("Saturday, 01-Jan-77 00:00:00 GMT", 1977),  # more than 50 years ahead: the last '77
        ("Wednesday, 01-Jan-25 00:00:00 GMT", 2025),
    ],
)
def test_a_two_digit_year_more_than_50_years_ahead_is_in_the_past(header, year):
    """RFC 850 years are read as RFC 9110 says: > 50 years ahead means the century before."""
    expected = max(0.0, datetime(year, 1, 1, tzinfo=UTC).timestamp() - NOW)
    assert parse_retry_after(header, NOW) == expected


def test_an_enormous_delay_is_read_as_an_endless_one():
    """A delay-seconds beyond any float is infinite, so the retry gives up on it."""
    assert parse_retry_after("9" * 400, NOW) == math.inf


@pytest.mark.parametrize(
    ("failure", "attempt", "jitter", "now", "deadline", "delay", "why"),
    [
        (RETRYABLE, 1, 0.3, 0, None, 0.3, ""),
        (RETRYABLE, 3, 0.3, 0, None, None, "all 3 attempts used"),
        (
            Failure(Reason.BREAKER_OPEN, retryable=False),
            1,
            0.3,
            0,
            None,
            None,
            "breaker_open is not retryable",
        ),
        (Failure(Reason.HTTP_429, retryable=True, retry_after=2.0), 1, 0.3, 0, None, 2.0, ""),
        (Failure(Reason.HTTP_429, retryable=True, retry_after=9.0), 1, 0.3, 0, None, 9.0, ""),
        (Failure(Reason.HTTP_429, retryable=True, retry_after=0.1), 1, 0.3, 0, None, 0.3, ""),
        (
            Failure(Reason.HTTP_429, retryable=True, retry_after=9.0),
            1,
            0.3,
            0,
            5.0,
            None,
            "waiting 9.000s would pass the deadline in 5.000s",
        ),
        (RETRYABLE, 1, 0.3, 4.8, 5.0, None, "waiting 0.300s would pass the deadline in 0.200s"),
        (
            Failure(Reason.HTTP_429, retryable=True, retry_after=86400.0),
            1,
            0.3,
            0,
            None,
            None,
            "Retry-After 86400s > max_retry_after 60s",
        ),
        (Failure(Reason.HTTP_429, retryable=True, retry_after=60.0), 1, 0.3, 0, None, 60.0, ""),
        (
            Failure(Reason.HTTP_429, retryable=True, retry_after=math.inf),
            1,
            0.3,
            0,
            None,
            None,
            "Retry-After forever > max_retry_after 60s",
        ),
    ],
)
def test_decide_retry_table(failure, attempt, jitter, now, deadline, delay, why):
    """Retry waits max(jitter, Retry-After) and gives up when that passes the deadline."""
    decision = decide_retry(
        RetryConfig(), attempt, failure, jitter=jitter, now=now, deadline=deadline
    )
    assert decision.delay == delay
    assert decision.why == why


@pytest.mark.parametrize(
    ("jitter", "now", "delay", "why"),
    [
        (0.4375, 4.5, None, "waiting 0.438s would leave 0.062s of the deadline, under 0.125s"),
        (0.375, 4.5, 0.375, ""),  # 0.125 s left: exactly the floor, so it may run
        (0.5, 4.5, None, "waiting 0.500s would pass the deadline in 0.500s"),
    ],
)
def test_the_retry_gives_up_when_the_backoff_leaves_less_than_an_attempt_needs(
    jitter, now, delay, why
):
    """With min_left 0.125, a backoff that leaves less of the deadline than that gives up."""
    decision = decide_retry(
        RetryConfig(), 1, RETRYABLE, jitter=jitter, now=now, deadline=5.0, min_left=0.125
    )
    assert decision.delay == delay
    assert decision.why == why


def test_without_a_cap_any_finite_retry_after_is_honoured():
    """max_retry_after None waits as long as the upstream asks, but never forever."""
    config = RetryConfig(max_retry_after=None)
    asked = Failure(Reason.HTTP_429, retryable=True, retry_after=86400.0)
    assert decide_retry(config, 1, asked, jitter=0.2, now=0, deadline=None).delay == 86400.0
    endless = Failure(Reason.HTTP_429, retryable=True, retry_after=math.inf)
    decision = decide_retry(config, 1, endless, jitter=0.2, now=0, deadline=None)
    assert decision.delay is None
    assert decision.why == "Retry-After asks to wait forever"


def test_the_cap_does_not_apply_when_retry_after_is_ignored():
    """With honor_retry_after off, a huge Retry-After neither delays nor stops the retry."""
    failure = Failure(Reason.HTTP_429, retryable=True, retry_after=86400.0)
    config = RetryConfig(honor_retry_after=False)
    assert decide_retry(config, 1, failure, jitter=0.2, now=0, deadline=None).delay == 0.2


def test_retry_after_can_be_switched_off():
    """With honor_retry_after off, only the jitter counts."""
    failure = Failure(Reason.HTTP_429, retryable=True, retry_after=9.0)
    config = RetryConfig(honor_retry_after=False)
    decision = decide_retry(config, 1, failure, jitter=0.2, now=0, deadline=None)
    assert decision.delay == 0.2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"attempts": 0}, "retry.attempts"),
        ({"base_delay": -1}, "retry.base_delay"),
        ({"base_delay": 2, "max_delay": 1}, "retry.max_delay"),
        ({"max_retry_after": 0}, "retry.max_retry_after"),
        ({"max_retry_after": -1}, "retry.max_retry_after"),
        ({"max_retry_after": float("inf")}, "retry.max_retry_after"),
        ({"max_retry_after": float("nan")}, "retry.max_retry_after"),
    ],
)
def test_retry_config_rejects_nonsense(kwargs, field):
    """Zero attempts or a cap below the base raise ConfigError naming the field."""
    with pytest.raises(ConfigError) as caught:
        RetryConfig(**kwargs)
    assert caught.value.field == field
