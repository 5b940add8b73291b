"""The arrival schedule: a constant rate, or k6-style stages, as times on the clock."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resilience_cli.stress.profile import LoadProfile, Stage, check_profile, parse_stages


def test_a_constant_rate_arrives_evenly_from_the_start():
    """100/s for 30 s: 3,000 arrivals at 0, 0.01, 0.02, ... none at or past 30 s."""
    profile = LoadProfile.constant(100, 30)
    times = list(profile.arrivals())
    assert len(times) == profile.arrival_count == 3000
    assert times[:3] == pytest.approx([0.0, 0.01, 0.02])
    assert times[-1] == pytest.approx(29.99)
    assert all(b - a == pytest.approx(0.01) for a, b in itertools.pairwise(times))


def test_stages_ramp_the_rate_in_straight_lines():
    """10s:50,20s:200,10s:0 from 0: 250, 2,500 and 1,000 arrivals, spaced as the rate says."""
    profile = parse_stages("10s:50,20s:200,10s:0")
    assert profile.duration == 40
    assert [profile.rate_at(t) for t in (0, 5, 10, 20, 30, 35, 40)] == [0, 25, 50, 125, 200, 100, 0]
    times = list(profile.arrivals())
    assert len(times) == 3750
    per_stage = [sum(1 for t in times if a <= t < b) for a, b in ((0, 10), (10, 30), (30, 40))]
    assert per_stage == [250, 2500, 1000]
    gaps = [b - a for a, b in itertools.pairwise(t for t in times if 10 <= t < 30)]
    assert gaps[0] > gaps[-1]  # the rate rises: arrivals come closer together


# An example schedules up to 40,000 arrivals: on a busy machine that can take longer than
# hypothesis's 200 ms deadline, and its speed is not what this checks.
@settings(deadline=None)
@given(
    st.floats(0, 500),
    st.lists(st.tuples(st.floats(0.1, 20), st.floats(0, 500)), min_size=1, max_size=4),
)
def test_any_profile_schedules_its_integral_in_order(start, stages):
    """Arrivals are ordered, within the run, and as many as the rate's integral (+-1)."""
    profile = LoadProfile(start, tuple(Stage(d, r) for d, r in stages))
    times = list(profile.arrivals())
    assert times == sorted(times)
    assert all(0 <= t < profile.duration + 1e-9 for t in times)
    assert abs(len(times) - profile.total) <= 1
    if times:  # spans of a second hold about the integral of the rate over them
        second = sum(1 for t in times if 0 <= t < 1)
        expected = sum(profile.rate_at(x / 1000) for x in range(1000)) / 1000
        assert abs(second - expected) <= 2 + expected * 0.01


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10s", "must be DURATION:RATE"),
        ("ten:50", "must be like 10s"),
        ("0s:50", "above 0"),
        ("2d:50", "must be like 10s"),
        ("10s:-5", "arrivals per second"),
        ("10s:fast", "arrivals per second"),
        ("10s:200001", "0 to 100,000"),
        ("1000s:100000,1000s:100000", "at most 100,000,000"),
        ("86400s:1,1s:1", "at most 86400"),
    ],
)
def test_bad_stages_say_which_and_why(text, message):
    """Each mistake is one line that names the stage."""
    with pytest.raises(ValueError, match=r"\S") as caught:
        parse_stages(text)
    assert message in str(caught.value)


def test_a_run_of_nothing_is_refused():
    """A profile that lasts no time schedules nothing: refused."""
    with pytest.raises(ValueError, match="longer than 0 s"):
        check_profile(LoadProfile(0, ()))
    assert math.isclose(LoadProfile.constant(3, 1).rate_at(5), 0)
