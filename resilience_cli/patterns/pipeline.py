"""The pipeline: the six patterns composed in one documented order.

Outermost first::

    fallback            turns any final failure or rejection into a contingency value
    └─ bulkhead         bounds concurrent calls; its queue wait is not part of the deadline
       └─ deadline      the total time for the call, retries and backoff included
          └─ retry      backoff with full jitter, Retry-After as a floor
             │              (an attempt left less than timeout.min_attempt does not start)
             └─ breaker        inside retry: an open breaker stops the remaining retries,
                │              and every attempt is counted by it
                └─ rate limiter   inside retry: every attempt spends a token, so retries
                   │              cannot flood the upstream; inside the breaker, so a
                   │              call the breaker refuses costs no token and no wait
                   └─ attempt timeout   min(attempt timeout, deadline left)
                      └─ the operation (an HTTP request)

The layers are written out as one plain loop rather than nested wrappers: on the success
path that costs no allocation beyond the outcome record, which is what keeps the overhead
low (`benchmarks/bench_pipeline_overhead.py` measures it).

An attempt that would start with less of the deadline than `TimeoutConfig.floor` does
not start: it is refused as `deadline_exceeded` (not retried), before the breaker when
that is known at once, and before any token is reserved when the token wait is what
would leave too little. Such an attempt never reaches the upstream, so the breaker does
not count it (its permit goes back).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from resilience_cli.errors import BulkheadFullError, CircuitOpenError, RateLimitedError
from resilience_cli.patterns.breaker import BreakerConfig, CircuitBreaker
from resilience_cli.patterns.bulkhead import Bulkhead, BulkheadConfig
from resilience_cli.patterns.classify import Classifier, DefaultClassifier
from resilience_cli.patterns.events import (
    AttemptFailed,
    CallFellBack,
    CallRejected,
    RetryAbandoned,
    RetryScheduled,
)
from resilience_cli.patterns.outcome import (
    AttemptRecord,
    CallOutcome,
    Failure,
    OutcomeKind,
    Reason,
)
from resilience_cli.patterns.rate_limiter import RateLimiter, RateLimiterConfig
from resilience_cli.patterns.retry import RetryConfig, decide_retry, full_jitter
from resilience_cli.patterns.timeout import (
    AttemptTimeoutError,
    TimeoutConfig,
    attempt_budget,
    within,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from resilience_cli.clock import Clock
    from resilience_cli.patterns.events import EventSink
    from resilience_cli.patterns.fallback import Fallback

T = TypeVar("T")

_NO_RETRY = RetryConfig(attempts=1)
_DEADLINE = "the call's deadline passed"


class SharedBreaker(Protocol):
    """A breaker kept elsewhere (`state/shared_breaker.py`): each step may wait for it.

    The same contract as `CircuitBreaker`'s call path: `acquire` returns a permit or
    raises `CircuitOpenError`; `record` counts an admitted call's result; `release`
    gives back a permit whose call never ran, without waiting (a cancelled call cannot).
    """

    async def acquire(self) -> int:
        """Admit a call and return its permit, or raise `CircuitOpenError`."""
        ...

    async def record(self, permit: int, duration: float, failure: str | None = None) -> None:
        """Count the result of an admitted call."""
        ...

    def release(self, permit: int) -> None:
        """Give back a permit whose call ended without a result."""
        ...


@dataclass(frozen=True, slots=True)
class Policies:
    """Every pattern's configuration; None switches a pattern off."""

    bulkhead: BulkheadConfig | None = field(default_factory=BulkheadConfig)
    timeout: TimeoutConfig | None = field(default_factory=TimeoutConfig)
    retry: RetryConfig | None = field(default_factory=RetryConfig)
    rate_limiter: RateLimiterConfig | None = field(default_factory=RateLimiterConfig)
    breaker: BreakerConfig | None = field(default_factory=BreakerConfig)


class Pipeline(Generic[T]):
    """Runs operations through the patterns and returns one `CallOutcome` per call."""

    def __init__(  # noqa: PLR0913 - one keyword per layer reads better than a builder
        self,
        *,
        clock: Clock,
        rng: random.Random,
        bulkhead: Bulkhead | None = None,
        timeout: TimeoutConfig | None = None,
        retry: RetryConfig | None = None,
        rate_limiter: RateLimiter | None = None,
        breaker: CircuitBreaker | None = None,
        fallback: Fallback[T] | None = None,
        classifier: Classifier[T] | None = None,
        events: EventSink | None = None,
        shared_breaker: SharedBreaker | None = None,
    ) -> None:
        self.clock = clock
        # At most one of the two: a breaker in this process, or one kept elsewhere.
        self.shared_breaker = shared_breaker
        self.bulkhead = bulkhead
        self.rate_limiter = rate_limiter
        self.breaker = breaker
        self._rng = rng
        self._timeout = timeout
        self._floor = 0.0 if timeout is None else timeout.floor
        self._retry = retry or _NO_RETRY
        self._fallback = fallback
        self._classifier: Classifier[T] = classifier or DefaultClassifier()
        self._events = events

    @property
    def classifier(self) -> Classifier[T]:
        """What judges each attempt, unless a call brings its own."""
        return self._classifier

    @classmethod
    def from_policies(  # noqa: PLR0913 - the stateful parts are passed in, not configured
        cls,
        policies: Policies,
        *,
        clock: Clock,
        seed: int | random.Random,
        breaker: CircuitBreaker | None = None,
        fallback: Fallback[T] | None = None,
        classifier: Classifier[T] | None = None,
        events: EventSink | None = None,
        shared_breaker: SharedBreaker | None = None,
    ) -> Pipeline[T]:
        """Build every enabled pattern from `policies`.

        Pass `breaker` to use one restored from a snapshot instead of a fresh one, or
        `shared_breaker` for one kept elsewhere (then no breaker is made here).
        """
        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        if breaker is None and shared_breaker is None and policies.breaker is not None:
            breaker = CircuitBreaker(policies.breaker, clock=clock, events=events)
        return cls(
            clock=clock,
            rng=rng,
            bulkhead=None
            if policies.bulkhead is None
            else Bulkhead(policies.bulkhead, events=events),
            timeout=policies.timeout,
            retry=policies.retry,
            rate_limiter=None
            if policies.rate_limiter is None
            else RateLimiter(policies.rate_limiter, clock=clock, events=events),
            breaker=breaker,
            fallback=fallback,
            classifier=classifier,
            events=events,
            shared_breaker=shared_breaker,
        )

    async def call(  # noqa: C901
        self, operation: Callable[[], Awaitable[T]], classifier: Classifier[T] | None = None
    ) -> CallOutcome[T]:
        """Run `operation` through every layer; never raises for a failure or rejection.

        `classifier` judges this call's results instead of the pipeline's own (a request
        with statuses of its own that count as ok).
        """
        # The layers are one loop in one frame: on the success path every extra coroutine
        # frame or record would show in bench_pipeline_overhead.py's figure.
        clock = self.clock
        started = clock.monotonic()
        bulkhead = self.bulkhead
        if bulkhead is not None and not bulkhead.try_acquire():
            try:
                await bulkhead.acquire()
            except BulkheadFullError as exc:
                rejected = Failure(Reason.BULKHEAD_FULL, retryable=False, detail=str(exc))
                self._emit_rejected("bulkhead", rejected)
                return self._give_up(started, (), rejected, None)
            admitted = clock.monotonic()
        else:
            admitted = started
        try:
            retry = self._retry
            total = None if self._timeout is None else self._timeout.total
            deadline = None if total is None else admitted + total
            attempts: tuple[AttemptRecord, ...] = ()
            number = 0
            while True:
                number += 1
                failure, value, record = await self._attempt(
                    operation, number, deadline, classifier or self._classifier
                )
                if record is not None:
                    attempts = (*attempts, record)
                if failure is None:
                    kind = OutcomeKind.SUCCESS if number == 1 else OutcomeKind.RECOVERED
                    return CallOutcome(kind, value, None, attempts, clock.monotonic() - started)
                if number >= retry.attempts or not failure.retryable:
                    return self._give_up(started, attempts, failure, value)
                jitter = full_jitter(number - 1, retry.base_delay, retry.max_delay, self._rng)
                decision = decide_retry(
                    retry,
                    number,
                    failure,
                    jitter=jitter,
                    now=clock.monotonic(),
                    deadline=deadline,
                    min_left=self._floor,
                )
                events = self._events
                if decision.delay is None:
                    if events is not None:
                        events(RetryAbandoned(number, decision.why))
                    return self._give_up(started, attempts, failure, value, decision.why)
                if events is not None:
                    events(
                        RetryScheduled(
                            number + 1, decision.delay, failure.reason, failure.retry_after
                        )
                    )
                await asyncio.sleep(decision.delay)
        finally:
            if bulkhead is not None:
                bulkhead.release()

    async def _attempt(  # noqa: C901, PLR0912, PLR0915 - one frame for the layers inside retry
        self,
        operation: Callable[[], Awaitable[T]],
        number: int,
        deadline: float | None,
        classifier: Classifier[T],
    ) -> tuple[Failure | None, T | None, AttemptRecord | None]:
        clock = self.clock
        floor = self._floor
        begun = clock.monotonic()
        if deadline is not None and deadline - begun < floor:
            # Known before asking anyone: no probe slot taken, no token spent.
            return self._too_late(deadline - begun), None, None
        breaker = self.breaker
        shared = self.shared_breaker
        permit = 0
        try:
            if breaker is not None:
                permit = breaker.acquire()
            elif shared is not None:
                permit = await shared.acquire()
        except CircuitOpenError as exc:
            return self._rejected("breaker", Reason.BREAKER_OPEN, str(exc)), None, None
        limiter = self.rate_limiter
        if limiter is not None and not limiter.try_acquire():
            try:
                refused = await self._wait_for_token(limiter, deadline)
            except BaseException:  # cancelled while waiting: nothing ran
                self._give_back(permit)
                raise
            if refused is not None:
                self._give_back(permit)  # nothing ran: the probe slot goes back
                return refused, None, None
            begun = clock.monotonic()
        timeout = self._timeout
        budget, by_deadline = attempt_budget(
            None if timeout is None else timeout.attempt, begun, deadline
        )
        if budget is not None and (budget <= 0 or budget < floor):
            # The token wait ate the deadline (it ran later than foreseen): nothing ran,
            # so nothing is counted against the upstream.
            self._give_back(permit)
            return self._too_late(budget), None, None
        value: T | None = None
        failure: Failure | None
        try:
            value = await (operation() if budget is None else within(operation, budget))
        except AttemptTimeoutError:
            failure = self._timed_out(budget, by_deadline=by_deadline)
            if not by_deadline:
                failure = classifier.timed_out(failure)
        except asyncio.CancelledError:
            self._give_back(permit)
            raise
        except Exception as exc:  # noqa: BLE001 - classifying every error is this layer's job
            failure = classifier.error(exc)
        else:
            failure = classifier.result(value)
        duration = clock.monotonic() - begun
        if breaker is not None:
            if failure is not None and not failure.counted:
                breaker.release(permit)  # the rule leaves it out: no verdict either way
            else:
                breaker.record(permit, duration, None if failure is None else failure.reason)
        elif shared is not None:
            if failure is not None and not failure.counted:
                shared.release(permit)  # the rule leaves it out: no verdict either way
            else:
                await shared.record(permit, duration, None if failure is None else failure.reason)
        if failure is not None and self._events is not None:
            self._events(AttemptFailed(number, failure.reason, duration, failure.detail))
        return failure, value, AttemptRecord(number, duration, failure)

    def _give_back(self, permit: int) -> None:
        """Return the permit of an attempt that did not run to the breaker that gave it."""
        if self.breaker is not None:
            self.breaker.release(permit)
        elif self.shared_breaker is not None:
            self.shared_breaker.release(permit)

    async def _wait_for_token(self, limiter: RateLimiter, deadline: float | None) -> Failure | None:
        if deadline is not None:
            needed = limiter.wait_needed()
            left = deadline - self.clock.monotonic()
            if needed <= limiter.config.max_wait and (
                needed >= left or left - needed < self._floor
            ):
                # The token would come in time for the limiter but not for an attempt: do
                # not reserve it (another call can use it), and say what really stopped us.
                detail = f"next token in {needed:.3f}s, the call's deadline in {left:.3f}s"
                if needed < left:
                    detail += f", leaving less than the {self._floor:g}s an attempt needs"
                return self._rejected("rate_limiter", Reason.DEADLINE_EXCEEDED, detail)
        try:
            await limiter.acquire()
        except RateLimitedError as exc:
            return self._rejected("rate_limiter", Reason.RATE_LIMITED, str(exc))
        return None

    def _too_late(self, left: float) -> Failure:
        detail = (
            _DEADLINE
            if left <= 0
            else f"{left:.3f}s of the deadline left, under the {self._floor:g}s an attempt needs"
        )
        return self._rejected("timeout", Reason.DEADLINE_EXCEEDED, detail)

    def _timed_out(self, budget: float | None, *, by_deadline: bool) -> Failure:
        if by_deadline:
            return Failure(Reason.DEADLINE_EXCEEDED, retryable=False, detail=_DEADLINE)
        return Failure(Reason.TIMEOUT, retryable=True, detail=f"attempt exceeded {budget:g}s")

    def _rejected(self, pattern: str, reason: Reason, detail: str) -> Failure:
        failure = Failure(reason, retryable=False, detail=detail)
        self._emit_rejected(pattern, failure)
        return failure

    def _emit_rejected(self, pattern: str, failure: Failure) -> None:
        if self._events is not None:
            self._events(CallRejected(pattern, failure.reason, failure.detail))

    def _give_up(
        self,
        started: float,
        attempts: tuple[AttemptRecord, ...],
        failure: Failure,
        last_value: T | None,
        why: str = "",
    ) -> CallOutcome[T]:
        duration = self.clock.monotonic() - started
        detail = why or failure.detail
        if self._fallback is None:
            return CallOutcome(
                OutcomeKind.FAILED, last_value, failure.reason, attempts, duration, detail
            )
        if self._events is not None:
            self._events(CallFellBack(failure.reason, len(attempts)))
        return CallOutcome(
            OutcomeKind.FALLBACK,
            self._fallback.answer(failure.reason),
            failure.reason,
            attempts,
            duration,
            detail,
        )
