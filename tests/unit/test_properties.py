"""Invariants over random sequences of outcomes and timings (hypothesis)."""

import asyncio
import itertools
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resilience_cli.errors import CircuitOpenError
from resilience_cli.event_loops import event_loop_for
from resilience_cli.patterns.breaker import BreakerConfig, BreakerState, CircuitBreaker
from resilience_cli.patterns.outcome import Failure, Reason
from resilience_cli.patterns.rate_limiter import RateLimiter, RateLimiterConfig
from resilience_cli.patterns.retry import (
    RetryConfig,
    backoff_ceiling,
    decide_retry,
    full_jitter,
)
from resilience_cli.state.memento import from_snapshot, to_snapshot
from resilience_cli.virtual_time import VirtualClock

# One step of a breaker's life: a call that succeeds or fails (maybe slowly), a call left
# in flight, the oldest in-flight call finishing, time passing, or an operator action.
call_steps = st.tuples(st.just("call"), st.booleans(), st.sampled_from([0.01, 3.0]))
other_steps = (
    st.tuples(st.just("start"), st.none(), st.none()),
    st.tuples(st.just("finish"), st.booleans(), st.sampled_from([0.01, 3.0])),
    st.tuples(st.just("wait"), st.sampled_from([0.25, 1.5, 7.75, 31.25]), st.none()),
    st.tuples(st.sampled_from(["force_open", "reset"]), st.none(), st.none()),
)
steps = st.one_of(call_steps, *other_steps)
# Mostly calls, so that windows fill up and the rate rules get to decide.
busy_steps = st.one_of(call_steps, call_steps, call_steps, call_steps, *other_steps)
configs = st.builds(
    BreakerConfig,
    failure_threshold=st.one_of(st.none(), st.integers(1, 6)),
    failure_rate_threshold=st.one_of(st.none(), st.sampled_from([0.25, 0.5, 1.0])),
    window_size=st.just(8),
    minimum_calls=st.integers(1, 8),
    slow_call_duration=st.one_of(st.none(), st.just(1.0)),
    slow_call_rate_threshold=st.sampled_from([0.5, 1.0]),
    open_for=st.sampled_from([1.1, 10.1]),
    half_open_max_calls=st.integers(1, 3),
    half_open_max_wait=st.one_of(st.none(), st.just(20.1)),
)


def play(breaker: CircuitBreaker, clock: VirtualClock, step, in_flight: list[int]) -> str:
    """Apply one step; return what the breaker decided, for comparing two breakers."""
    kind, arg, duration = step
    if kind == "wait":
        clock.jump(arg)
        return breaker.state.value
    if kind == "force_open":
        breaker.force_open()
        return "forced"
    if kind == "reset":
        breaker.reset()
        return "reset"
    if kind == "finish":
        if not in_flight:
            return "idle"
        breaker.record(in_flight.pop(0), duration, "timeout" if arg else None)
        return breaker.state.value
    try:
        permit = breaker.acquire()
    except CircuitOpenError:
        return "rejected"
    if kind == "start":
        in_flight.append(permit)
    else:
        breaker.record(permit, duration, "http_5xx" if arg else None)
    return f"admitted:{breaker.state.value}"


@settings(max_examples=300, deadline=None)
@given(config=configs, script=st.lists(steps, max_size=60))
def test_open_or_forced_open_never_admits_a_call(config, script):
    """A breaker seen OPEN (wait not over) or FORCED_OPEN refuses the very next call."""
    clock = VirtualClock()
    breaker = CircuitBreaker(config, clock=clock)
    in_flight: list[int] = []
    for step in script:
        before = breaker.state
        remaining = breaker.open_remaining()
        decision = play(breaker, clock, step, in_flight)
        if step[0] in ("call", "start") and (
            before is BreakerState.FORCED_OPEN
            or (before is BreakerState.OPEN and remaining is not None and remaining > 0)
        ):
            assert decision == "rejected"


def rule_fires(config: BreakerConfig, consecutive: int, window: list[tuple[bool, bool]]) -> bool:
    """The trip rule written out again from the docs: consecutive failures, or a rate."""
    if config.failure_threshold is not None and consecutive >= config.failure_threshold:
        return True
    recent = window[-config.window_size :]
    calls = len(recent)
    if calls < config.minimum_calls:
        return False
    failed = sum(1 for failure, _ in recent if failure)
    slow = sum(1 for _, is_slow in recent if is_slow)
    rate = config.failure_rate_threshold
    if rate is not None and failed / calls >= rate:
        return True
    return config.slow_call_duration is not None and slow / calls >= config.slow_call_rate_threshold


def play_closed(breaker, clock, step, flights, period) -> tuple[bool, bool] | None:
    """Apply one step; return (failed, slow) when it recorded a result of this CLOSED period."""
    kind, arg, duration = step
    was_closed = breaker.state is BreakerState.CLOSED
    slow_after = breaker.config.slow_call_duration or math.inf
    if kind == "wait":
        clock.jump(arg)
    elif kind == "force_open":
        breaker.force_open()
    elif kind == "reset":
        breaker.reset()
    elif kind == "finish":
        if flights:
            permit, admitted_in = flights.pop(0)
            breaker.record(permit, duration, "timeout" if arg else None)
            if was_closed and admitted_in == period:
                return bool(arg), duration > slow_after
    else:
        try:
            permit = breaker.acquire()
        except CircuitOpenError:
            return None
        if kind == "start":
            flights.append((permit, period))
        else:
            breaker.record(permit, duration, "http_5xx" if arg else None)
            if was_closed:
                return bool(arg), duration > slow_after
    return None


@settings(max_examples=500, deadline=None)
@given(config=configs, script=st.lists(busy_steps, max_size=80))
def test_a_closed_breaker_opens_exactly_when_the_rule_says_so(config, script):
    """After every step, a CLOSED breaker is OPEN if and only if its trip rule fired."""
    clock = VirtualClock()
    breaker = CircuitBreaker(config, clock=clock)
    period = 0  # a new CLOSED period after every transition and every reset()
    window: list[tuple[bool, bool]] = []
    consecutive = 0
    flights: list[tuple[int, int]] = []  # (permit, the period it was admitted in)
    for step in script:
        was_closed = breaker.state is BreakerState.CLOSED
        mark = breaker.transition_mark()
        counted = play_closed(breaker, clock, step, flights, period)
        if counted is not None:
            window.append(counted)
            consecutive = consecutive + 1 if counted[0] else 0
            fired = rule_fires(config, consecutive, window)
            assert breaker.state is (BreakerState.OPEN if fired else BreakerState.CLOSED)
        elif was_closed and step[0] not in ("force_open", "reset"):
            assert breaker.state is BreakerState.CLOSED  # nothing else may open it
        if step[0] == "reset" or breaker.transition_mark() != mark:
            period += 1
            window, consecutive = [], 0


@settings(max_examples=300, deadline=None)
@given(config=configs, script=st.lists(steps, max_size=60))
def test_half_open_never_admits_more_probes_than_permitted(config, script):
    """Within one half-open period, admitted probes never exceed half_open_max_calls."""
    clock = VirtualClock()
    breaker = CircuitBreaker(config, clock=clock)
    in_flight: list[int] = []
    admitted_this_period = 0
    epoch = breaker._record.epoch
    for step in script:
        was_half_open = breaker.state is BreakerState.HALF_OPEN
        if breaker._record.epoch != epoch:
            epoch, admitted_this_period = breaker._record.epoch, 0
        decision = play(breaker, clock, step, in_flight)
        if was_half_open and decision.startswith("admitted"):
            admitted_this_period += 1
            assert admitted_this_period <= config.half_open_max_calls


@settings(max_examples=200, deadline=None)
@given(
    config=configs,
    script=st.lists(steps, max_size=40),
    cut=st.integers(0, 40),
    later=st.lists(steps, max_size=30),
)
def test_a_restored_snapshot_decides_like_the_original(config, script, cut, later):
    """Snapshot at any quiet moment, restore in a 'new process': both decide alike after."""
    clock = VirtualClock()
    original = CircuitBreaker(config, clock=clock)
    in_flight: list[int] = []
    for step in script[:cut]:
        play(original, clock, step, in_flight)
    for permit in in_flight:  # a quiet moment: nothing in flight
        original.record(permit, 0.01)
    # A new process: its monotonic clock starts at 0, its wall clock reads the same time.
    twin_clock = VirtualClock(wall_origin=clock.wall())
    twin = from_snapshot(to_snapshot(original), config, clock=twin_clock)
    flights: tuple[list[int], list[int]] = ([], [])
    for step in later:
        if step[0] == "wait":
            twin_clock.jump(step[1])
        mine = play(original, clock, step, flights[0])
        theirs = twin.state.value if step[0] == "wait" else play(twin, twin_clock, step, flights[1])
        assert mine == theirs


@settings(max_examples=200, deadline=None)
@given(
    rate=st.sampled_from([1.0, 7.0, 50.0, 333.0]),
    burst=st.integers(1, 20),
    gaps=st.lists(st.floats(0, 0.05), min_size=50, max_size=400),
)
def test_the_bucket_never_grants_more_than_burst_plus_rate(rate, burst, gaps):
    """Over any interval of length L, grants never exceed burst + rate * L."""
    clock = VirtualClock()
    limiter = RateLimiter(RateLimiterConfig(rate=rate, burst=burst, max_wait=0), clock=clock)
    grants: list[float] = []
    for gap in gaps:
        clock.jump(gap)
        if limiter.try_acquire():
            grants.append(clock.monotonic())
    for start in range(len(grants)):
        for end in range(start, len(grants)):
            span = grants[end] - grants[start]
            assert end - start + 1 <= burst + rate * span + 1e-6


@settings(max_examples=25, deadline=None)
@given(rate=st.sampled_from([5.0, 50.0, 200.0]), burst=st.integers(1, 10), seed=st.integers())
def test_under_steady_demand_the_long_run_rate_is_within_one_percent(rate, burst, seed):
    """Once callers queue, waiting callers arriving at random are served at the configured rate."""
    clock = VirtualClock()
    rng = random.Random(seed)
    count = 400

    async def main() -> list[tuple[float, float]]:
        limiter = RateLimiter(RateLimiterConfig(rate=rate, burst=burst, max_wait=1e9), clock=clock)
        served: list[tuple[float, float]] = []

        async def caller(arrival: float) -> None:
            await asyncio.sleep(arrival)
            await limiter.acquire()
            served.append((arrival, clock.monotonic()))

        # Callers arrive four times faster than the rate, so a queue forms and stays.
        arrivals = sorted(rng.uniform(0, count / rate / 4) for _ in range(count))
        await asyncio.gather(*(caller(arrival) for arrival in arrivals))
        return served

    with asyncio.Runner(loop_factory=lambda: event_loop_for(clock)) as runner:
        served = runner.run(main())
    # Before the first caller has to wait, an idle bucket may refill between sparse early
    # arrivals: those grants are the burst at work, not the rate. From the first wait on,
    # the bucket is the bottleneck and each grant is one token of refill.
    first_wait = next(index for index, (arrival, granted) in enumerate(served) if granted > arrival)
    paced = [granted for _, granted in served[first_wait:]]
    achieved = (len(paced) - 1) / (paced[-1] - paced[0])
    assert achieved == pytest.approx(rate, rel=0.01)


@settings(max_examples=500)
@given(
    index=st.integers(0, 80),
    base=st.floats(0, 10),
    extra=st.floats(0, 100),
    seed=st.integers(),
)
def test_full_jitter_lies_within_zero_and_the_ceiling(index, base, extra, seed):
    """Every full-jitter delay is in [0, min(cap, base * 2**n)]."""
    cap = base + extra
    delay = full_jitter(index, base, cap, random.Random(seed))
    assert 0 <= delay <= min(cap, backoff_ceiling(index, base, cap)) + 1e-12


@settings(max_examples=500)
@given(
    attempt=st.integers(1, 4),
    retry_after=st.one_of(st.none(), st.floats(0, 600)),
    base=st.floats(0.01, 2),
    extra=st.floats(0, 30),
    seed=st.integers(),
    now=st.floats(0, 100),
    budget=st.one_of(st.none(), st.floats(0, 1000)),
)
def test_a_retry_never_waits_less_than_retry_after_nor_more_than_the_cap(
    attempt, retry_after, base, extra, seed, now, budget
):
    """The wait is >= Retry-After (or no retry), <= the cap unless Retry-After asks more."""
    config = RetryConfig(attempts=5, base_delay=base, max_delay=base + extra)
    failure = Failure(Reason.HTTP_429, retryable=True, retry_after=retry_after)
    jitter = full_jitter(attempt - 1, base, config.max_delay, random.Random(seed))
    deadline = None if budget is None else now + budget
    decision = decide_retry(config, attempt, failure, jitter=jitter, now=now, deadline=deadline)
    asked_too_much = retry_after is not None and retry_after > (config.max_retry_after or 0)
    if decision.delay is None:
        # It gives up only when the server asks for more than max_retry_after, or when
        # the wait would pass the deadline.
        late = deadline is not None and now + max(jitter, retry_after or 0.0) >= deadline
        assert asked_too_much or late
        return
    assert not asked_too_much
    if retry_after is not None:
        assert decision.delay >= retry_after
    assert decision.delay <= max(config.max_delay, retry_after or 0.0)
    if deadline is not None:
        assert now + decision.delay < deadline


@settings(max_examples=200, deadline=None)
@given(
    rate=st.sampled_from([2.0, 10.0, 50.0]),
    burst=st.integers(1, 8),
    callers=st.lists(
        st.tuples(st.floats(0, 2), st.one_of(st.none(), st.floats(0, 1))), min_size=5, max_size=60
    ),
)
def test_waiting_callers_with_cancellations_never_exceed_burst_plus_rate(rate, burst, callers):
    """With random cancellations, grants stay within burst + rate * L and no slot goes unused."""
    clock = VirtualClock()

    async def main() -> list[float]:
        limiter = RateLimiter(RateLimiterConfig(rate=rate, burst=burst, max_wait=1e9), clock=clock)
        granted: list[float] = []

        async def caller(arrival: float) -> None:
            await asyncio.sleep(arrival)
            await limiter.acquire()
            granted.append((clock.monotonic(), arrival))

        tasks = []
        for arrival, cancel_after in callers:
            task = asyncio.create_task(caller(arrival))
            if cancel_after is not None:
                asyncio.get_running_loop().call_later(arrival + cancel_after, task.cancel)
            tasks.append(task)
        await asyncio.gather(*tasks, return_exceptions=True)
        return granted

    with asyncio.Runner(loop_factory=lambda: event_loop_for(clock)) as runner:
        granted = sorted(runner.run(main()))
    grants = [when for when, _ in granted]
    for start in range(len(grants)):
        for end in range(start, len(grants)):
            span = grants[end] - grants[start]
            assert end - start + 1 <= burst + rate * span + 1e-6
    # Nor under-delivery: a caller that had to wait got its token no later than one
    # interval after the grant before it, so no slot was left unused while it waited.
    for (previous, _), (when, arrival) in itertools.pairwise(granted):
        if when > arrival + 1e-9:
            assert when - previous <= 1 / rate + 1e-6
