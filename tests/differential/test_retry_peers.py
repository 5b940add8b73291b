"""Retry against its references: tenacity's full jitter, and RFC 9110's Retry-After.

- `full_jitter` draws what tenacity's `wait_random_exponential` draws, on the same seed.
- `parse_retry_after` reads the RFC's three HTTP-date forms of one instant as that
  instant, and agrees with the standard library's date parsers where they read the form.
"""

from __future__ import annotations

import calendar
import random
import time
from email.utils import formatdate, parsedate_to_datetime
from types import SimpleNamespace

import pytest
import tenacity.wait

from resilience_cli.patterns.retry import full_jitter, parse_retry_after

BASES = (0.0, 0.001, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5)
CAP_FACTORS = (1, 2, 3, 10, 100, 1000)


@pytest.mark.parametrize("seed", range(20))
def test_full_jitter_draws_what_tenacity_draws(monkeypatch, seed):
    """U(0, min(cap, base * 2**n)) on the same seed: tenacity's draws, to the bit."""
    rng = random.Random(seed)
    base = rng.choice(BASES)
    cap = max(base, 0.001) * rng.choice(CAP_FACTORS)
    theirs = random.Random(seed * 7919)
    ours = random.Random(seed * 7919)
    monkeypatch.setattr(tenacity.wait, "random", theirs)  # tenacity draws from `random`
    wait = tenacity.wait_random_exponential(multiplier=base, max=cap)
    for retry_index in (*range(70), 200, 1000):
        expected = wait(SimpleNamespace(attempt_number=retry_index + 1))
        assert full_jitter(retry_index, base, cap, ours) == expected, retry_index


# RFC 9110, section 5.6.7: the three forms of one instant, and its example of each.
RFC_EXAMPLES = (
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc850(when: int) -> str:
    """The obsolete rfc850-date form, written out from the RFC's grammar."""
    t = time.gmtime(when)
    return (
        f"{DAYS[t.tm_wday]}, {t.tm_mday:02d}-{MONTHS[t.tm_mon - 1]}-{t.tm_year % 100:02d}"
        f" {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def test_the_rfcs_own_examples_are_one_instant():
    """The RFC's three examples read as 1994-11-06 08:49:37 GMT, seen from 1994."""
    instant = calendar.timegm((1994, 11, 6, 8, 49, 37))
    before = float(instant - 3600)
    assert [parse_retry_after(form, before) for form in RFC_EXAMPLES] == [3600.0] * 3
    # Section 10.2.3's own examples.
    assert parse_retry_after("120", before) == 120.0
    now = calendar.timegm((1999, 12, 31, 23, 0, 0))
    assert parse_retry_after("Fri, 31 Dec 1999 23:59:59 GMT", now) == 3599.0


@pytest.mark.parametrize("seed", range(10))
def test_three_forms_of_a_random_instant_read_alike_and_as_the_stdlib_reads_them(seed):
    """IMF-fixdate, rfc850-date and asctime-date of an instant give that instant."""
    rng = random.Random(seed)
    now = calendar.timegm((2026, 1, 1, 0, 0, 0))
    for _ in range(200):
        # Within 49 years either way, where a two-digit year is unambiguous.
        when = now + rng.randint(-49 * 365 * 86400, 49 * 365 * 86400)
        forms = {
            "imf": formatdate(when, usegmt=True),
            "rfc850": rfc850(when),
            "asctime": time.asctime(time.gmtime(when)),
        }
        expected = max(0.0, float(when - now))
        for name, header in forms.items():
            assert parse_retry_after(header, now) == expected, (name, header)
        # The standard library's readers agree on the forms they read. (Its two-digit years
        # follow POSIX or the real clock, not the RFC's rule, so rfc850 has no stdlib twin.)
        assert parsedate_to_datetime(forms["imf"]).timestamp() == when
        assert calendar.timegm(time.strptime(forms["asctime"], "%a %b %d %H:%M:%S %Y")) == when


@pytest.mark.parametrize(
    "lenient",
    [
        "Sun, 06 Nov 1994 08:49:37 +0000",  # a numeric zone
        "Sun, 06 Nov 1994 08:49:37 UT",
        "06 Nov 1994 08:49:37 GMT",  # no day name
        "Sun, 6 Nov 1994 08:49:37 GMT",  # a one-digit day
        "Sun, 06 Nov 94 08:49:37 GMT",  # a two-digit year in the IMF form
        "sun, 06 nov 1994 08:49:37 gmt",  # HTTP-date is case-sensitive
    ],
)
def test_what_email_utils_takes_but_the_rfc_does_not_is_ignored(lenient):
    """Named difference, LENIENT_EMAIL_DATES: email.utils reads these; RFC 9110 does not."""
    assert parsedate_to_datetime(lenient) is not None
    assert parse_retry_after(lenient, 0.0) is None
