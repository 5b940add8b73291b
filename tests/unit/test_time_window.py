"""The breaker's time-based sliding window (`--window-seconds`), on the virtual clock."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resilience_cli.errors import ConfigError
from resilience_cli.patterns.breaker import (
    CALL_FAILED,
    CALL_OK,
    CALL_SLOW,
    BreakerConfig,
    BreakerState,
    CircuitBreaker,
    WindowStats,
)
from resilience_cli.patterns.breaker._windows import TimeWindow
from resilience_cli.patterns.events import EventList
from resilience_cli.state.memento import from_snapshot, to_snapshot
from resilience_cli.virtual_time import VirtualClock

TIMED = BreakerConfig(failure_threshold=None, window_duration=10.0, minimum_calls=4, window_size=2)


def make(config: BreakerConfig = TIMED) -> tuple[CircuitBreaker, VirtualClock, EventList]:
    clock = VirtualClock()
    events = EventList()
    return CircuitBreaker(config, clock=clock, events=events), clock, events


def call(breaker: CircuitBreaker, *, failed: bool, duration: float = 0.01) -> None:
    breaker.record(breaker.acquire(), duration, "http_5xx" if failed else None)


def test_failures_within_the_window_seconds_open_it_with_the_seconds_in_the_reason():
    """2 failures and 2 successes within 10 s trip a 50 % rate; the reason names the 10 s."""
    breaker, clock, events = make()
    for failed in (True, False, True):
        call(breaker, failed=failed)
        clock.jump(2.0)
    assert breaker.state is BreakerState.CLOSED  # 3 calls: the minimum of 4 not met
    call(breaker, failed=False)
    assert breaker.state is BreakerState.OPEN
    assert events.events[-1].reason == (
        "failure rate 50% >= 50% over 4 calls in the last 10s, minimum 4 met, so OPEN"
    )


def test_failures_older_than_the_window_are_forgotten():
    """Failures 10 s back have left the window: four fresh successes keep it closed."""
    breaker, clock, _ = make()
    for _ in range(3):
        call(breaker, failed=True)
    clock.jump(10.0)
    for _ in range(4):
        call(breaker, failed=False)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.window == WindowStats(4, 0, 0)


def test_the_window_is_whole_seconds_as_in_resilience4j():
    """A call at 0.9 s is in the bucket of second 0, which leaves once second 10 begins."""
    window = TimeWindow(10)
    window.add(CALL_FAILED, 0.9)
    window.add(CALL_OK, 9.99)
    assert window.stats() == WindowStats(2, 1, 0)
    window.add(CALL_SLOW, 10.0)
    assert window.stats() == WindowStats(2, 0, 1)


def test_the_minimum_may_exceed_the_count_window_only_with_a_time_window():
    """minimum_calls 100 with window_size 20 is refused count-based, accepted time-based."""
    with pytest.raises(ConfigError):
        BreakerConfig(window_size=20, minimum_calls=100)
    assert BreakerConfig(window_size=20, minimum_calls=100, window_duration=60.0)


@pytest.mark.parametrize("seconds", [0.5, 1.5, 0.0, -1.0, math.inf, math.nan])
def test_the_window_is_whole_seconds_from_one(seconds):
    """A window of part of a second, or of no time, is refused naming its key."""
    with pytest.raises(ConfigError) as refused:
        BreakerConfig(window_duration=seconds)
    assert refused.value.field == "breaker.window_duration"


def test_a_time_window_is_not_saved_and_a_saved_count_window_is_not_restored_into_it():
    """The state file keeps no times for calls, so a time window starts each run empty."""
    breaker, _, _ = make()
    call(breaker, failed=True)
    saved = to_snapshot(breaker)
    assert saved["window"] == ""
    clock = VirtualClock()
    restored = from_snapshot(saved | {"window": "xxxx"}, TIMED, clock=clock)
    assert restored.window == WindowStats(0, 0, 0)


def test_a_reset_clears_the_time_window():
    """After a reset the window holds nothing, whatever its seconds still cover."""
    breaker, _, _ = make()
    call(breaker, failed=True)
    breaker.reset()
    assert breaker.window == WindowStats(0, 0, 0)


# -- properties ------------------------------------------------------------------------------

marks = st.sampled_from([CALL_OK, CALL_FAILED, CALL_SLOW, CALL_FAILED | CALL_SLOW])
gaps = st.sampled_from([0.0, 0.0625, 0.25, 0.5, 1.0, 2.5, 7.75, 31.0])


@given(seconds=st.integers(1, 12), calls=st.lists(st.tuples(gaps, marks), max_size=120))
def test_the_totals_are_the_calls_of_the_last_whole_seconds(seconds, calls):
    """After each call, the totals count exactly the calls whose second is in the window."""
    window = TimeWindow(seconds)
    now = 0.0
    seen: list[tuple[int, int]] = []
    for gap, mark in calls:
        now += gap
        window.add(mark, now)
        seen.append((math.floor(now), mark))
        inside = [m for second, m in seen if second > math.floor(now) - seconds]
        assert window.stats() == WindowStats(
            len(inside),
            sum(m & CALL_FAILED for m in inside),
            sum((m & CALL_SLOW) >> 1 for m in inside),
        )


@given(
    seconds=st.integers(1, 12),
    minimum=st.integers(1, 15),
    calls=st.lists(st.tuples(gaps, st.booleans()), max_size=80),
)
def test_the_breaker_opens_on_the_first_call_whose_window_meets_the_rule(seconds, minimum, calls):
    """A time-windowed breaker opens exactly when the brute-force window first trips 50 %."""
    config = BreakerConfig(
        failure_threshold=None, window_duration=float(seconds), minimum_calls=minimum
    )
    breaker, clock, _ = make(config)
    seen: list[tuple[int, bool]] = []
    for gap, failed in calls:
        clock.jump(gap)
        call(breaker, failed=failed)
        now = math.floor(clock.monotonic())
        seen.append((now, failed))
        inside = [f for second, f in seen if second > now - seconds]
        trips = len(inside) >= minimum and sum(inside) / len(inside) >= 0.5
        assert (breaker.state is BreakerState.OPEN) is trips
        if trips:
            break
