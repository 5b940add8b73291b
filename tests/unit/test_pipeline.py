import asyncio
import random

import pytest

from resilience_cli.event_loops import event_loop_for
from resilience_cli.patterns import (
    BreakerConfig,
    BreakerState,
    Bulkhead,
    BulkheadConfig,
    CircuitBreaker,
    EventList,
    Failure,
    Fallback,
    OutcomeKind,
    Pipeline,
    Policies,
    RateLimiter,
    RateLimiterConfig,
    Reason,
    RetryConfig,
    TimeoutConfig,
)
from resilience_cli.patterns.retry import full_jitter
from resilience_cli.virtual_time import VirtualClock


class Script:
    """An operation that plays a script: a value, an exception, or a sleep then a value."""

    def __init__(self, *steps: object) -> None:
        self.steps = list(steps)
        self.calls = 0

    async def __call__(self) -> object:
        step = self.steps[min(self.calls, len(self.steps) - 1)]
        self.calls += 1
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, tuple):
            seconds, value = step
            await asyncio.sleep(seconds)
            return value
        return step


class Status:
    """A classifier for integer 'status codes': 5xx fail, 429 fails with Retry-After."""

    def __init__(self, retry_after: float | None = None) -> None:
        self.retry_after = retry_after

    def result(self, value: object) -> Failure | None:
        if value == 429:
            return Failure(Reason.HTTP_429, retryable=True, retry_after=self.retry_after)
        if isinstance(value, int) and value >= 500:
            return Failure(Reason.HTTP_5XX, retryable=True)
        return None

    def error(self, error: Exception) -> Failure:
        return Failure(Reason.ERROR, retryable=False, detail=str(error))


def make(clock, policies: Policies | None = None, **kwargs) -> tuple[Pipeline, EventList]:
    events = EventList()
    pipeline = Pipeline.from_policies(
        policies or Policies(),
        clock=clock,
        seed=kwargs.pop("seed", 1),
        fallback=kwargs.pop("fallback", Fallback.constant("fallback")),
        events=events,
        **kwargs,
    )
    return pipeline, events


async def test_a_first_try_success_is_success_with_one_attempt(clock):
    """A call that works at once is SUCCESS, one attempt, and emits no events."""
    pipeline, events = make(clock)
    outcome = await pipeline.call(Script("ok"))
    assert outcome.kind is OutcomeKind.SUCCESS
    assert outcome.value == "ok"
    assert outcome.reason is None
    assert len(outcome.attempts) == 1
    assert outcome.retries == 0
    assert events.events == []


async def test_retries_recover_with_seeded_full_jitter_delays(clock):
    """Two connection errors then success: RECOVERED after the seeded jitter delays."""
    pipeline, events = make(clock, seed=42)
    outcome = await pipeline.call(Script(ConnectionError("refused"), ConnectionError(), "ok"))
    assert outcome.kind is OutcomeKind.RECOVERED
    assert outcome.retries == 2
    rng = random.Random(42)
    expected = [full_jitter(0, 0.5, 5.0, rng), full_jitter(1, 0.5, 5.0, rng)]
    delays = [event.delay for event in events.events if event.name == "retry.scheduled"]
    assert delays == expected
    assert clock.monotonic() == pytest.approx(sum(expected))
    assert [a.failure.reason if a.failure else None for a in outcome.attempts] == [
        Reason.CONNECT_ERROR,
        Reason.CONNECT_ERROR,
        None,
    ]


async def test_exhausted_retries_fall_back_with_the_last_reason(clock):
    """Three 5xx in a row fall back with reason http_5xx after three attempts."""
    pipeline, events = make(clock, classifier=Status())
    outcome = await pipeline.call(Script(503))
    assert outcome.kind is OutcomeKind.FALLBACK
    assert outcome.value == "fallback"
    assert outcome.reason is Reason.HTTP_5XX
    assert len(outcome.attempts) == 3
    assert events.names()[-1] == "call.fell_back"


async def test_without_a_fallback_the_call_fails_with_the_last_value(clock):
    """With no fallback configured, the outcome is FAILED and keeps the last result."""
    pipeline, _ = make(clock, classifier=Status(), fallback=None)
    outcome = await pipeline.call(Script(500))
    assert outcome.kind is OutcomeKind.FAILED
    assert outcome.value == 500


async def test_an_unclassified_error_is_not_retried(clock):
    """A ValueError is a non-retryable 'error': one attempt, then the fallback."""
    pipeline, _ = make(clock)
    outcome = await pipeline.call(Script(ValueError("bad")))
    assert outcome.reason is Reason.ERROR
    assert len(outcome.attempts) == 1
    assert "ValueError: bad" in outcome.detail


async def test_attempt_timeout_cuts_a_slow_attempt_and_retries(clock):
    """A 3 s attempt under a 2 s timeout times out at 2 s and is retried."""
    policies = Policies(timeout=TimeoutConfig(attempt=2.0, total=30.0))
    pipeline, _ = make(clock, policies)
    outcome = await pipeline.call(Script((3, "late"), (0.1, "ok")))
    assert outcome.kind is OutcomeKind.RECOVERED
    first = outcome.attempts[0]
    assert first.failure is not None
    assert first.failure.reason is Reason.TIMEOUT
    assert first.duration == pytest.approx(2.0)


async def test_the_deadline_bounds_the_whole_call(clock):
    """Attempts and backoff together never outlast the total deadline."""
    policies = Policies(
        timeout=TimeoutConfig(attempt=2.0, total=5.0),
        retry=RetryConfig(attempts=10, base_delay=0.1, max_delay=0.1),
    )
    pipeline, _ = make(clock, policies)
    outcome = await pipeline.call(Script((60, "never")))
    assert outcome.kind is OutcomeKind.FALLBACK
    assert outcome.reason is Reason.DEADLINE_EXCEEDED
    assert outcome.duration <= 5.0 + 1e-9
    assert clock.monotonic() <= 5.0 + 1e-9


async def test_retry_after_is_a_floor_on_the_wait(clock):
    """A 429 with Retry-After: 3 makes the retry wait at least 3 s."""
    pipeline, events = make(clock, classifier=Status(retry_after=3.0))
    outcome = await pipeline.call(Script(429, "ok"))
    assert outcome.kind is OutcomeKind.RECOVERED
    scheduled = events.events[1]
    assert scheduled.name == "retry.scheduled"
    assert scheduled.delay == 3.0
    assert clock.monotonic() >= 3.0


async def test_retry_after_past_the_deadline_gives_up_at_once(clock):
    """A Retry-After longer than the time left stops retrying without sleeping."""
    policies = Policies(timeout=TimeoutConfig(attempt=1.0, total=5.0))
    pipeline, events = make(clock, policies, classifier=Status(retry_after=60.0))
    outcome = await pipeline.call(Script(429))
    assert outcome.reason is Reason.HTTP_429
    assert len(outcome.attempts) == 1
    assert clock.monotonic() == 0
    assert "would pass the deadline" in outcome.detail
    assert events.names() == ["attempt.failed", "retry.abandoned", "call.fell_back"]


async def test_an_open_breaker_stops_the_remaining_retries(clock):
    """With retry outside the breaker, the attempt that finds it open ends the call."""
    policies = Policies(
        retry=RetryConfig(attempts=5, base_delay=0.0, max_delay=0.0),
        breaker=BreakerConfig(failure_threshold=2),
    )
    pipeline, events = make(clock, policies, classifier=Status())
    operation = Script(500)
    outcome = await pipeline.call(operation)
    assert outcome.reason is Reason.BREAKER_OPEN
    assert operation.calls == 2
    assert len(outcome.attempts) == 2
    assert "breaker.opened" in events.names()
    assert "call.rejected" in events.names()


async def test_an_open_breaker_never_runs_the_operation(clock):
    """While OPEN, calls fall back at once and the operation is never called."""
    breaker = CircuitBreaker(BreakerConfig(), clock=clock)
    breaker.force_open()
    pipeline, _ = make(clock, breaker=breaker)
    operation = Script("ok")
    outcome = await pipeline.call(operation)
    assert outcome.reason is Reason.BREAKER_OPEN
    assert outcome.attempts == ()
    assert operation.calls == 0


async def test_retries_spend_rate_limiter_tokens(clock):
    """With the limiter inside retry, each retry waits for its own token."""
    policies = Policies(
        retry=RetryConfig(attempts=3, base_delay=0.0, max_delay=0.0),
        rate_limiter=RateLimiterConfig(rate=1, burst=1, max_wait=5),
    )
    pipeline, _ = make(clock, policies)
    outcome = await pipeline.call(Script(ConnectionError(), ConnectionError(), "ok"))
    assert outcome.kind is OutcomeKind.RECOVERED
    assert clock.monotonic() == pytest.approx(2.0)  # three tokens at 1/s, the first free


async def test_no_token_in_time_falls_back_as_rate_limited(clock):
    """A caller that cannot get a token within max_wait falls back as rate_limited."""
    policies = Policies(rate_limiter=RateLimiterConfig(rate=0.1, burst=1, max_wait=1))
    pipeline, events = make(clock, policies)
    await pipeline.call(Script("ok"))
    outcome = await pipeline.call(Script("ok"))
    assert outcome.reason is Reason.RATE_LIMITED
    assert outcome.attempts == ()
    assert events.names() == ["call.rejected", "call.fell_back"]


async def test_a_token_due_after_the_deadline_is_not_reserved(clock):
    """A token further off than the deadline is refused as deadline_exceeded, unreserved."""
    policies = Policies(
        timeout=TimeoutConfig(attempt=1.0, total=2.0),
        rate_limiter=RateLimiterConfig(rate=0.2, burst=1, max_wait=10),
    )
    pipeline, _ = make(clock, policies)
    await pipeline.call(Script("ok"))
    outcome = await pipeline.call(Script("ok"))
    assert outcome.reason is Reason.DEADLINE_EXCEEDED
    assert "deadline" in outcome.detail
    assert clock.monotonic() == 0
    assert pipeline.rate_limiter is not None
    assert pipeline.rate_limiter.statistics().granted == 1


async def test_a_deadline_spent_waiting_for_a_token_runs_nothing(clock):
    """When the token arrives exactly at the deadline, the attempt is not started."""
    policies = Policies(
        timeout=TimeoutConfig(attempt=1.0, total=1.0),
        rate_limiter=RateLimiterConfig(rate=1, burst=1, max_wait=10),
    )
    pipeline, _ = make(clock, policies)
    await pipeline.call(Script("ok"))
    operation = Script("ok")
    outcome = await pipeline.call(operation)
    assert outcome.reason is Reason.DEADLINE_EXCEEDED
    assert operation.calls == 0


async def test_a_full_bulkhead_falls_back_as_bulkhead_full(clock):
    """With its slot busy and no queue, a second call falls back as bulkhead_full."""
    policies = Policies(bulkhead=BulkheadConfig(max_concurrent=1, max_queue=0))
    pipeline, _ = make(clock, policies)
    slow = asyncio.create_task(pipeline.call(Script((1, "slow"))))
    await asyncio.sleep(0)
    outcome = await pipeline.call(Script("ok"))
    assert outcome.reason is Reason.BULKHEAD_FULL
    assert (await slow).kind is OutcomeKind.SUCCESS
    assert pipeline.bulkhead is not None
    assert pipeline.bulkhead.statistics().in_flight == 0


async def test_queued_calls_run_once_a_slot_frees(clock):
    """Calls beyond max_concurrent wait in the queue and then succeed."""
    policies = Policies(bulkhead=BulkheadConfig(max_concurrent=2, max_queue=10, max_wait=10))
    pipeline, _ = make(clock, policies)
    outcomes = await asyncio.gather(*(pipeline.call(Script((1, "ok"))) for _ in range(6)))
    assert all(outcome.kind is OutcomeKind.SUCCESS for outcome in outcomes)
    assert clock.monotonic() == pytest.approx(3)
    assert pipeline.bulkhead is not None
    assert pipeline.bulkhead.statistics().peak_in_flight == 2


async def test_cancellation_propagates_and_frees_everything(clock):
    """Cancelling a call mid-attempt frees its bulkhead slot and its half-open probe."""
    config = BreakerConfig(failure_threshold=1, open_for=1, half_open_max_calls=1)
    breaker = CircuitBreaker(config, clock=clock)
    breaker.record(breaker.acquire(), 0.0, "http_5xx")
    clock.jump(1)
    assert breaker.state is BreakerState.HALF_OPEN  # one probe slot to watch
    pipeline, _ = make(clock, breaker=breaker)
    task = asyncio.create_task(pipeline.call(Script((10, "ok"))))
    await asyncio.sleep(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert pipeline.bulkhead is not None
    assert pipeline.bulkhead.statistics().in_flight == 0
    assert breaker._record.probes_admitted == 0


async def test_an_operations_own_timeout_error_is_classified(clock):
    """With no timeouts configured, the operation's TimeoutError is a retryable timeout."""
    policies = Policies(timeout=None, retry=None)
    pipeline, _ = make(clock, policies)
    outcome = await pipeline.call(Script(TimeoutError()))
    assert outcome.reason is Reason.TIMEOUT


async def test_patterns_switched_off_are_absent(clock):
    """Policies with every pattern None give a pipeline that just runs the operation."""
    pipeline, _ = make(
        clock,
        Policies(bulkhead=None, timeout=None, retry=None, rate_limiter=None, breaker=None),
    )
    assert pipeline.bulkhead is None
    assert pipeline.rate_limiter is None
    assert pipeline.breaker is None
    outcome = await pipeline.call(Script(ConnectionError()))
    assert len(outcome.attempts) == 1


async def test_hand_built_pipeline_accepts_instances(clock):
    """A Pipeline can be built from pattern instances directly, sharing a random.Random."""
    pipeline = Pipeline(
        clock=clock,
        rng=random.Random(0),
        bulkhead=Bulkhead(),
        rate_limiter=RateLimiter(clock=clock),
        breaker=CircuitBreaker(clock=clock),
        timeout=TimeoutConfig(),
        retry=RetryConfig(),
    )
    outcome = await pipeline.call(Script(7))
    assert outcome.value == 7


def test_a_seed_makes_a_concurrent_run_repeatable():
    """Two virtual runs with the same seed produce identical outcomes and timings."""

    def run_once() -> list[tuple[str, float, int]]:
        clock = VirtualClock()

        async def main() -> list[tuple[str, float, int]]:
            pipeline, _ = make(clock, seed=99)
            rng = random.Random(5)
            ops = [
                Script(*(ConnectionError() if rng.random() < 0.5 else "ok" for _ in range(3)))
                for _ in range(30)
            ]
            outcomes = await asyncio.gather(*(pipeline.call(op) for op in ops))
            return [(o.kind.value, round(o.duration, 9), len(o.attempts)) for o in outcomes]

        with asyncio.Runner(loop_factory=lambda: event_loop_for(clock)) as runner:
            return runner.run(main())

    assert run_once() == run_once()


async def test_a_call_the_breaker_refuses_spends_no_token(clock):
    """With the limiter inside the breaker, refused calls neither take nor wait for tokens."""
    policies = Policies(rate_limiter=RateLimiterConfig(rate=1, burst=1, max_wait=5))
    pipeline, _ = make(clock, policies)
    assert pipeline.breaker is not None
    assert pipeline.rate_limiter is not None
    pipeline.breaker.force_open()
    for _ in range(10):
        assert (await pipeline.call(Script("ok"))).reason is Reason.BREAKER_OPEN
    assert pipeline.rate_limiter.statistics().granted == 0
    assert clock.monotonic() == 0


async def test_a_probe_refused_by_the_limiter_gives_its_permit_back(clock):
    """A half-open probe that gets no token returns its permit, so the next probe may go."""
    config = BreakerConfig(failure_threshold=1, open_for=1, half_open_max_calls=1)
    breaker = CircuitBreaker(config, clock=clock)
    breaker.record(breaker.acquire(), 0.0, "http_5xx")
    clock.jump(1)
    policies = Policies(rate_limiter=RateLimiterConfig(rate=0.01, burst=1, max_wait=0))
    pipeline, _ = make(clock, policies, breaker=breaker)
    assert pipeline.rate_limiter is not None
    assert pipeline.rate_limiter.try_acquire()  # empty the bucket
    assert (await pipeline.call(Script("ok"))).reason is Reason.RATE_LIMITED
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker._record.probes_admitted == 0


async def test_a_probe_cancelled_while_waiting_for_a_token_gives_its_permit_back(clock):
    """Ctrl-C during a half-open probe's token wait returns the probe slot."""
    config = BreakerConfig(failure_threshold=1, open_for=1, half_open_max_calls=1)
    breaker = CircuitBreaker(config, clock=clock)
    breaker.record(breaker.acquire(), 0.0, "http_5xx")
    clock.jump(1)
    policies = Policies(rate_limiter=RateLimiterConfig(rate=0.25, burst=1, max_wait=10))
    pipeline, _ = make(clock, policies, breaker=breaker)
    assert pipeline.rate_limiter is not None
    assert pipeline.rate_limiter.try_acquire()  # empty the bucket: the probe must wait
    task = asyncio.create_task(pipeline.call(Script("ok")))
    await asyncio.sleep(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker._record.probes_admitted == 0


async def test_the_operations_own_timeout_error_is_not_the_attempt_timeout(clock):
    """A TimeoutError raised by the operation is classified, not taken for our timer."""
    policies = Policies(timeout=TimeoutConfig(attempt=5, total=10), retry=None)
    pipeline, _ = make(clock, policies, classifier=Status())
    outcome = await pipeline.call(Script(TimeoutError("its own")))
    assert outcome.reason is Reason.ERROR
    assert clock.monotonic() == 0


async def test_a_retry_after_beyond_the_cap_is_not_waited_for(clock):
    """Retry-After: 86400 with no deadline gives up at once instead of sleeping a day."""
    policies = Policies(timeout=TimeoutConfig(attempt=1.0, total=None))
    pipeline, events = make(clock, policies, classifier=Status(retry_after=86400.0))
    outcome = await pipeline.call(Script(429, "ok"))
    assert outcome.reason is Reason.HTTP_429
    assert len(outcome.attempts) == 1
    assert clock.monotonic() == 0
    assert outcome.detail == "Retry-After 86400s > max_retry_after 60s"
    assert events.names() == ["attempt.failed", "retry.abandoned", "call.fell_back"]


def floor_pipeline(clock, min_attempt: float = 0.05, **kwargs) -> Pipeline:
    """--deadline 1 --rate 1 --burst 1, with a breaker that a single failure opens."""
    policies = Policies(
        timeout=TimeoutConfig(attempt=2.0, total=1.0, min_attempt=min_attempt),
        rate_limiter=RateLimiterConfig(rate=1, burst=1, max_wait=2),
        breaker=BreakerConfig(failure_threshold=1),
    )
    return make(clock, policies, **kwargs)[0]


async def test_an_attempt_the_token_wait_would_leave_too_short_does_not_start(clock):
    """A call that would wait 0.989 s of its 1 s for a token is refused before reserving it."""
    pipeline = floor_pipeline(clock)
    await pipeline.call(Script((0.01, "ok")))  # t=0: takes the only token
    await asyncio.sleep(0.001)  # t=0.011: the next token is due at t=1
    operation = Script((0.02, "ok"))  # a healthy upstream: 20 ms
    outcome = await pipeline.call(operation)
    assert outcome.reason is Reason.DEADLINE_EXCEEDED
    assert "leaving less than the 0.05s an attempt needs" in outcome.detail
    assert outcome.attempts == ()
    assert operation.calls == 0
    assert pipeline.breaker is not None
    assert pipeline.breaker.state is BreakerState.CLOSED  # not counted against the upstream
    assert pipeline.rate_limiter is not None
    assert pipeline.rate_limiter.statistics().granted == 1  # the token was not spent


async def test_a_zero_floor_lets_the_deadline_cut_attempt_run(clock):
    """With min_attempt 0 the sliver of an attempt runs, is cut, and counts as before."""
    pipeline = floor_pipeline(clock, min_attempt=0)
    await pipeline.call(Script((0.01, "ok")))
    await asyncio.sleep(0.001)
    outcome = await pipeline.call(Script((0.02, "ok")))
    assert outcome.reason is Reason.DEADLINE_EXCEEDED
    assert len(outcome.attempts) == 1
    assert pipeline.breaker is not None
    assert pipeline.breaker.state is BreakerState.OPEN


class LateLimiter(RateLimiter):
    """A limiter whose waits overrun by `late` seconds, as on a loop too busy to wake it."""

    def __init__(self, *args, late: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.late = late

    async def acquire(self, max_wait: float | None = None) -> float:
        waited = await super().acquire(max_wait)
        await asyncio.sleep(self.late)
        return waited + self.late


async def test_a_token_wait_that_overruns_the_floor_runs_nothing_and_frees_the_probe(clock):
    """After a wait that ate the budget, the attempt does not start and the probe goes back."""
    breaker = CircuitBreaker(
        BreakerConfig(failure_threshold=1, open_for=1, half_open_max_calls=1), clock=clock
    )
    breaker.record(breaker.acquire(), 0.0, "http_5xx")
    clock.jump(1)
    limiter = LateLimiter(RateLimiterConfig(rate=1, burst=1, max_wait=2), clock=clock, late=0.47)
    assert limiter.try_acquire()  # empty the bucket: the probe waits 0.5 s, then 0.47 s more
    pipeline = Pipeline(
        clock=clock,
        rng=random.Random(0),
        timeout=TimeoutConfig(attempt=2.0, total=1.0),
        rate_limiter=limiter,
        breaker=breaker,
    )
    await asyncio.sleep(0.5)
    operation = Script((0.01, "ok"))
    outcome = await pipeline.call(operation)
    assert outcome.reason is Reason.DEADLINE_EXCEEDED
    assert operation.calls == 0
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker._record.probes_admitted == 0


async def test_a_retry_that_would_leave_less_than_the_floor_gives_up(clock):
    """A backoff ending 0.03 s before the deadline abandons the retry instead of a sliver."""
    policies = Policies(
        timeout=TimeoutConfig(attempt=0.97, total=1.0),
        retry=RetryConfig(attempts=3, base_delay=0.0, max_delay=0.0),
        rate_limiter=None,
    )
    pipeline, events = make(clock, policies)
    operation = Script((5, "late"))
    outcome = await pipeline.call(operation)
    assert operation.calls == 1
    assert outcome.reason is Reason.TIMEOUT
    assert "under 0.05s" in outcome.detail
    assert events.names() == ["attempt.failed", "retry.abandoned", "call.fell_back"]


async def test_a_wake_up_too_late_for_the_floor_asks_neither_breaker_nor_limiter(clock):
    """After a backoff that woke too late, the attempt is refused before taking anything."""
    policies = Policies(
        timeout=TimeoutConfig(attempt=0.5, total=1.0),
        retry=RetryConfig(attempts=2, base_delay=0.0, max_delay=0.0),
        rate_limiter=RateLimiterConfig(rate=100, burst=5, max_wait=1),
    )
    events = EventList()

    def busy_loop(event) -> None:
        events(event)
        if event.name == "retry.scheduled":
            clock.jump(0.97)  # the loop was busy: the backoff ends 0.97 s late

    pipeline = Pipeline.from_policies(policies, clock=clock, seed=1, events=busy_loop)
    operation = Script(ConnectionError(), "ok")
    outcome = await pipeline.call(operation)
    assert outcome.reason is Reason.DEADLINE_EXCEEDED
    assert "0.030s of the deadline left, under the 0.05s" in outcome.detail
    assert operation.calls == 1
    assert pipeline.rate_limiter is not None
    assert pipeline.rate_limiter.statistics().granted == 1
    rejected = events.events[-1]
    assert rejected.name == "call.rejected"
    assert rejected.pattern == "timeout"


async def test_with_no_floor_a_token_wait_past_the_deadline_still_runs_nothing(clock):
    """min_attempt 0: an attempt left no time at all does not start either."""
    limiter = LateLimiter(RateLimiterConfig(rate=1, burst=1, max_wait=2), clock=clock, late=0.6)
    assert limiter.try_acquire()
    pipeline = Pipeline(
        clock=clock,
        rng=random.Random(0),
        timeout=TimeoutConfig(attempt=2.0, total=1.0, min_attempt=0),
        rate_limiter=limiter,
    )
    await asyncio.sleep(0.5)  # the token is due in 0.5 s, and comes 0.6 s later still
    operation = Script("ok")
    outcome = await pipeline.call(operation)
    assert outcome.reason is Reason.DEADLINE_EXCEEDED
    assert outcome.detail == "the call's deadline passed"
    assert operation.calls == 0
