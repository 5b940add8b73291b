import random
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
        ("0", 0.0),
        ("1.5", 1.5),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("", None),
        (formatdate(NOW + 30, usegmt=True), 30.0),
        (formatdate(NOW - 30, usegmt=True), 0.0),  # a date in the past sets no floor
        ("Wed, 21 Oct 2015 07:28:00", None),  # an HTTP-date must say GMT
    ],
)
def test_parse_retry_after_table(header, expected):
    """Retry-After is read in both RFC 9110 forms; anything else is ignored."""
    assert parse_retry_after(header, NOW) == expected


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
    ],
)
def test_decide_retry_table(failure, attempt, jitter, now, deadline, delay, why):
    """Retry waits max(jitter, Retry-After) and gives up when that passes the deadline."""
    decision = decide_retry(
        RetryConfig(), attempt, failure, jitter=jitter, now=now, deadline=deadline
    )
    assert decision.delay == delay
    assert decision.why == why


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
    ],
)
def test_retry_config_rejects_nonsense(kwargs, field):
    """Zero attempts or a cap below the base raise ConfigError naming the field."""
    with pytest.raises(ConfigError) as caught:
        RetryConfig(**kwargs)
    assert caught.value.field == field
