"""One policy set against a trace, in virtual time: the pipeline's rules as discrete events.

The trace's arrivals are the load, each at its recorded time; the replay upstream answers
each attempt. Each attempt goes through what `patterns.Pipeline` does, in its order and
with its own pieces: the deadline's floor, the breaker (a real `CircuitBreaker` on this
simulation's clock), the attempt timeout (`attempt_budget`), the classification of the
answer, and the retry decision (`full_jitter`, `decide_retry`, one seeded `Random`).
Events run in time order (ties in the order they were scheduled), so the same trace,
policies and seed give the same numbers.

It is a simulation and not the pipeline itself, so that ten minutes at 100 calls a second
replay for five presets in well under two seconds: no event loop, no task per call, no
HTTP. What it leaves out is said in docs/patterns.md: the bulkhead and the rate limiter
(the arrivals are as recorded), Retry-After (a trace keeps no headers), and a recorded
timeout is an upstream that does not answer (the attempt ends at its own timeout or the
deadline; with neither, after the recorded wait).
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from resilience_cli.measure.latencies import percentile
from resilience_cli.patterns import BreakerState, CircuitBreaker, Failure, Reason, RetryConfig
from resilience_cli.patterns.events import BreakerTransitioned
from resilience_cli.patterns.retry import decide_retry, full_jitter
from resilience_cli.patterns.timeout import attempt_budget
from resilience_cli.trace import AnswerKind
from resilience_cli.trace.replay import ReplayUpstream

if TYPE_CHECKING:
    from resilience_cli.patterns import Event, Policies
    from resilience_cli.trace import Answer, Trace

_NO_RETRY: Final = RetryConfig(attempts=1)
_TOO_MANY: Final = 429
_SERVER_ERROR: Final = 500
_TIMED_OUT: Final = Failure(Reason.TIMEOUT, retryable=True)
_DEADLINE: Final = Failure(Reason.DEADLINE_EXCEEDED, retryable=False)
_CONNECT: Final = Failure(Reason.CONNECT_ERROR, retryable=True)
_HTTP_5XX: Final = Failure(Reason.HTTP_5XX, retryable=True)
_HTTP_429: Final = Failure(Reason.HTTP_429, retryable=True)


class _SimClock:
    """The simulation's time: what the breaker reads."""

    __slots__ = ("now",)

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now


@dataclass(frozen=True, slots=True)
class Replayed:
    """What one policy set did with a trace: its counts, latencies and breaker states."""

    calls: int
    sent: int  # attempts that reached the upstream
    let_through: int  # of those, the ones that met a failing upstream
    fallbacks: int
    retries: int
    wasted_retries: int  # retries that failed
    p50: float | None  # seconds, arrival to outcome
    p99: float | None
    transitions: tuple[tuple[float, BreakerState], ...]  # (at, the state it moved to)
    duration: float  # seconds from the start to the last outcome


class Stage:
    """A trace made ready for replays: the upstream, and what each arrival first meets.

    Built once for every policy set that replays the trace: each arrival's request, its
    history of answers, and the answer at its arrival (what every first attempt meets).
    """

    __slots__ = ("arrivals", "first", "histories", "trace")

    def __init__(self, trace: Trace) -> None:
        upstream = ReplayUpstream(trace)
        self.trace = trace
        self.arrivals = tuple(arrival.at for arrival in trace.arrivals)
        histories = {
            request: upstream.history(request) for request in {a.request for a in trace.arrivals}
        }
        self.histories = tuple(histories[arrival.request] for arrival in trace.arrivals)
        self.first = tuple(
            _plain(history.at(at))
            for history, at in zip(self.histories, self.arrivals, strict=True)
        )


class _Sim:
    """The state of one replay; `run` plays every event."""

    def __init__(self, stage: Stage, policies: Policies, seed: int) -> None:
        self.stage = stage
        self.clock = _SimClock()
        self.transitions: list[tuple[float, BreakerState]] = []
        config = policies.breaker
        self.breaker = (
            None if config is None else CircuitBreaker(config, clock=self.clock, events=self._heard)
        )
        timeout = policies.timeout
        self.attempt_timeout = None if timeout is None else timeout.attempt
        self.total = None if timeout is None else timeout.total
        self.floor = 0.0 if timeout is None else timeout.floor
        self.retry = policies.retry or _NO_RETRY
        self.rng = random.Random(seed)
        self.heap: list[tuple[float, int, int, int, int, Failure | None, float]] = []
        self.seq = 0
        count = len(stage.arrivals)
        self.deadlines: list[float | None] = [None] * count
        self.sent = self.let_through = self.fallbacks = 0
        self.retries = self.wasted = 0
        self.latencies: list[float] = []
        self.now = 0.0

    def _heard(self, event: Event, /) -> None:
        if isinstance(event, BreakerTransitioned):
            self.transitions.append((self.clock.now, BreakerState(event.to_state)))

    def run(self) -> Replayed:
        arrivals = self.stage.arrivals
        heap, clock = self.heap, self.clock
        attempt, ended, pop = self._attempt, self._ended, heapq.heappop
        deadlines, total = self.deadlines, self.total
        count, index = len(arrivals), 0
        while index < count or heap:
            if heap and (index >= count or heap[0][0] <= arrivals[index]):
                at, _, call, number, permit, failure, duration = pop(heap)
                clock.now = self.now = at
                if number < 0:  # a retry's wait is over: the next attempt starts
                    attempt(call, -number, at)
                else:
                    ended(call, number, permit, failure, duration, at)
            else:
                at = arrivals[index]
                clock.now = self.now = at
                if total is not None:
                    deadlines[index] = at + total
                attempt(index, 1, at)
                index += 1
        ordered = sorted(self.latencies)
        return Replayed(
            calls=count,
            sent=self.sent,
            let_through=self.let_through,
            fallbacks=self.fallbacks,
            retries=self.retries,
            wasted_retries=self.wasted,
            p50=percentile(ordered, 50) if ordered else None,
            p99=percentile(ordered, 99) if ordered else None,
            transitions=tuple(self.transitions),
            duration=self.now,
        )

    def _attempt(self, call: int, number: int, now: float) -> None:
        deadline = self.deadlines[call]
        floor = self.floor
        if deadline is not None and deadline - now < floor:
            self._give_up(call, now)
            return
        breaker = self.breaker
        permit = 0
        if breaker is not None:
            admitted = breaker.try_acquire()
            if admitted is None:
                self._give_up(call, now)
                return
            permit = admitted
        budget, by_deadline = attempt_budget(self.attempt_timeout, now, deadline)
        if budget is not None and (budget <= 0 or budget < floor):
            if breaker is not None:
                breaker.release(permit)
            self._give_up(call, now)
            return
        stage = self.stage
        if number == 1:
            failed, hangs, latency, failure = stage.first[call]
        else:
            failed, hangs, latency, failure = _plain(stage.histories[call].at(now))
        self.sent += 1
        if failed:
            self.let_through += 1
        if budget is not None and (hangs or latency >= budget):
            # No answer within the timer: only the timer ends the attempt.
            failure = _DEADLINE if by_deadline else _TIMED_OUT
            latency = budget
        self.seq += 1
        heapq.heappush(self.heap, (now + latency, self.seq, call, number, permit, failure, latency))

    def _ended(  # noqa: PLR0913, PLR0917 - one event's fields
        self,
        call: int,
        number: int,
        permit: int,
        failure: Failure | None,
        duration: float,
        now: float,
    ) -> None:
        breaker = self.breaker
        if breaker is not None:
            breaker.record(permit, duration, None if failure is None else failure.reason)
        if number > 1:
            self.retries += 1
            if failure is not None:
                self.wasted += 1
        if failure is None:
            self.latencies.append(now - self.stage.arrivals[call])
            return
        retry = self.retry
        if number >= retry.attempts or not failure.retryable:
            self._give_up(call, now)
            return
        jitter = full_jitter(number - 1, retry.base_delay, retry.max_delay, self.rng)
        decision = decide_retry(
            retry,
            number,
            failure,
            jitter=jitter,
            now=now,
            deadline=self.deadlines[call],
            min_left=self.floor,
        )
        if decision.delay is None:
            self._give_up(call, now)
            return
        self.seq += 1
        heapq.heappush(
            self.heap, (now + decision.delay, self.seq, call, -(number + 1), 0, None, 0.0)
        )

    def _give_up(self, call: int, now: float) -> None:
        self.fallbacks += 1
        self.latencies.append(now - self.stage.arrivals[call])


def _plain(answer: Answer) -> tuple[bool, bool, float, Failure | None]:
    """An answer as an attempt meets it, before its timer.

    Whether the upstream failed, whether it never answers, after how long the attempt
    ends, and its failure. A recorded timeout is an upstream that does not answer: the
    attempt's timer ends it, or, with none, the recorded wait does.
    """
    kind = answer.kind
    if kind is AnswerKind.TIMEOUT:
        return True, True, answer.latency, _TIMED_OUT
    if kind is AnswerKind.CONNECT_ERROR:
        return True, False, answer.latency, _CONNECT
    status = answer.status
    if status >= _SERVER_ERROR:
        return True, False, answer.latency, _HTTP_5XX
    if status == _TOO_MANY:
        return True, False, answer.latency, _HTTP_429
    return False, False, answer.latency, None


def replay(stage: Stage, policies: Policies, *, seed: int = 0) -> Replayed:
    """Replay a staged trace through `policies`, with retries' jitter drawn from `seed`."""
    return _Sim(stage, policies, seed).run()
