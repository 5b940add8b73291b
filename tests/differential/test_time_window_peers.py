"""Our time-based window against a Resilience4j TIME_BASED model, call for call.

Each seeded trace is calls at random gaps (dyadic, so that ties are real ties), failed or
slow at random. After every call, our breaker is OPEN exactly when the model's window says
"exceeded"; then both start again from an empty window (ours by `reset`), as Resilience4j's
does on its next CLOSED state.
"""

from __future__ import annotations

import random

import pytest
from resilience4j_time_window import TimeBasedWindow

from resilience_cli.patterns.breaker import BreakerConfig, BreakerState, CircuitBreaker
from resilience_cli.virtual_time import VirtualClock

TRACES = 200
CALLS = 150
GAPS = (0.0, 0.0625, 0.25, 0.5, 1.0, 1.5, 3.0, 7.75)
# Thresholds whose percent and fraction compare alike in floating point.
RATES = (0.25, 0.5, 0.75, 1.0)
FAST, SLOW = 0.0625, 3.0


@pytest.mark.parametrize("seed", range(4))
def test_the_time_window_trips_where_resilience4j_time_based_does(seed):
    """Same calls at the same times: both open on the same call, and only then."""
    rng = random.Random(seed)
    trips = 0
    for _ in range(TRACES // 4):
        seconds, minimum = rng.choice((1, 2, 5, 10)), rng.randint(1, 20)
        failure_rate, slow_rate = rng.choice(RATES), rng.choice(RATES)
        clock = VirtualClock()
        ours = CircuitBreaker(
            BreakerConfig(
                failure_threshold=None,
                failure_rate_threshold=failure_rate,
                window_duration=float(seconds),
                minimum_calls=minimum,
                slow_call_duration=1.0,
                slow_call_rate_threshold=slow_rate,
            ),
            clock=clock,
        )

        def fresh_model(seconds=seconds, minimum=minimum, f=failure_rate, s=slow_rate, c=clock):
            return TimeBasedWindow(
                window_size=seconds,
                minimum_number_of_calls=minimum,
                failure_rate_threshold=f * 100,
                slow_call_rate_threshold=s * 100,
                start=c.monotonic(),
            )

        theirs = fresh_model()
        failure_odds = rng.choice((0.1, 0.3, 0.6))
        for index in range(CALLS):
            clock.jump(rng.choice(GAPS))
            failed, slow = rng.random() < failure_odds, rng.random() < 0.15
            verdict = theirs.record(clock.monotonic(), failed=failed, slow=slow)
            ours.record(ours.acquire(), SLOW if slow else FAST, "http_5xx" if failed else None)
            opened = ours.state is BreakerState.OPEN
            assert opened is (verdict == "exceeded"), (seed, index, verdict)
            assert ours.window.calls == theirs.calls
            if opened:
                trips += 1
                ours.reset()
                theirs = fresh_model()
    assert trips > TRACES // 4  # the rule does fire, many times
