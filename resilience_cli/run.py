"""One command's run: restore the breaker, send the calls, save the breaker, report.

The breaker is a shared resource, so a run holds the state file's lock from restore to
save: two runs started together take turns instead of overwriting each other's updates
(`resilience state`, which only reads, never waits for it).

A run with the breaker switched off (`breaker: null`) leaves the state file exactly as it
was: it takes no lock and writes nothing, and reads the file only to show the breaker.

Each call is counted as it ends (`measure.RunTally`) and then let go: a run keeps no
list of calls, and its durations go into a histogram of bounded size, so its memory does
not grow with the number of calls.

Ctrl-C (or SIGTERM, SIGHUP) cancels the run's task. The calls in flight are cancelled,
the breaker state is saved as it stands, and the run returns what it has with
`interrupted=True`: the calls that finished, and the calls cut short with the attempts
they had made (the breaker counted those, so the summary does too). The command prints
that partial summary and exits 130 (143, 129).
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import random
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from resilience_cli.client import FALLBACK, HttpClassifier, ResilientClient
from resilience_cli.failure_rule import DEFAULT_RULE, FailureRule
from resilience_cli.measure import RunTally
from resilience_cli.patterns import Pipeline, Policies, Reason
from resilience_cli.patterns.events import AttemptFailed
from resilience_cli.run_breaker import BreakerSide, with_breaker

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    import httpx

    from resilience_cli.client import Target
    from resilience_cli.clock import Clock
    from resilience_cli.patterns import (
        BulkheadStatistics,
        CallOutcome,
        Event,
        EventSink,
        RateLimiterStatistics,
        Transition,
    )
    from resilience_cli.request import Request
    from resilience_cli.state import BreakerStore
    from resilience_cli.state.breaker import BreakerView
    from resilience_cli.state.redis_store import RedisStore
    from resilience_cli.trace import Recorder

# The failed attempts of the call a worker has in flight; each worker task has its own.
IN_FLIGHT: Final[ContextVar[list[Reason] | None]] = ContextVar("in_flight", default=None)


@dataclass(frozen=True, slots=True)
class CallResult:
    """One finished call as `on_call` hears of it: what was asked, when, and its outcome.

    `began` is in seconds into the run. The run counts the call and keeps none of it.
    """

    request: Request
    began: float
    outcome: CallOutcome[httpx.Response]


class CallMeter(Protocol):
    """Counts a run's calls for its metrics (`metrics.RunMeter` is one); an event sink too."""

    def attach(self, patterns: Pipeline[httpx.Response]) -> None:
        """Read the gauges from these patterns."""
        ...

    def call(self, outcome: CallOutcome[httpx.Response], duration: float) -> None:
        """A call finished after `duration` seconds."""
        ...

    def __call__(self, event: Event, /) -> None:
        """A pattern decided something."""
        ...


class Calls(Protocol):
    """The calls of a plan, in order: a tuple, or a seeded draw made as the run goes."""

    def __iter__(self) -> Iterator[Request]: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True, slots=True)
class RunPlan:
    """Everything a run needs to know, decided before it starts.

    `concurrency` is what was asked for; a run never offers more calls at once than it
    makes (`workers`), so `-n 2 -c 1000` builds two workers and one client, not a thousand.
    """

    calls: Calls
    policies: Policies
    concurrency: int
    seed: int
    failure_rule: FailureRule = DEFAULT_RULE

    @property
    def workers(self) -> int:
        """Calls offered at once: the concurrency asked for, at most one per call."""
        return max(1, min(self.concurrency, len(self.calls)))


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a run did: its calls counted, the breaker before and after, the patterns' statistics.

    `tally` holds the finished calls, and the failed attempts of the calls an interruption
    cut short (the breaker counted those, so the partial summary counts them too).
    """

    plan: RunPlan
    tally: RunTally
    before: BreakerView
    after: BreakerView
    transitions: tuple[Transition, ...]
    bulkhead: BulkheadStatistics | None
    rate_limiter: RateLimiterStatistics | None
    peak_in_flight: int
    elapsed: float
    interrupted: bool
    target: str


@dataclass(frozen=True, slots=True)
class RequestDraw:
    """`count` requests drawn by their weights with a seeded rng: same seed, same calls.

    The draw is made one call at a time as the run takes them, so a plan of a million
    calls costs no more memory than a plan of ten. It is the very sequence
    `random.Random(seed).choices(requests, weights, k=count)` returns: the same
    cumulative weights, one `random()` and one bisection per call (the sequences of the
    `--mix` of earlier releases, which a test pins).
    """

    count: int
    requests: tuple[Request, ...]
    seed: int

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Request]:
        requests = self.requests
        cumulative = list(itertools.accumulate(request.weight for request in requests))
        total = cumulative[-1] + 0.0
        last = len(requests) - 1
        draw = random.Random(self.seed).random
        for _ in range(self.count):
            yield requests[bisect.bisect(cumulative, draw() * total, 0, last)]


def failure_rules(rule: FailureRule, requests: Sequence[Request]) -> tuple[str, ...]:
    """What decided failures, for the summary: the run's rule, then each request's own."""
    lines = [f"fails on {rule.describe()}"]
    for request in dict.fromkeys(r for r in requests if r.ok_status is not None):
        codes = ", ".join(str(code) for code in sorted(request.ok_status or ()))
        lines.append(f"{request.label}: ok on {codes} (ok_status); every other status fails")
    return tuple(lines)


def plan_requests(count: int, requests: Sequence[Request], seed: int) -> RequestDraw:
    """`count` requests drawn by their weights with a seeded rng: same seed, same plan."""
    return RequestDraw(count, tuple(requests), seed)


async def execute(  # noqa: PLR0913 - the run's collaborators, each injected
    plan: RunPlan,
    *,
    clock: Clock,
    store: BreakerStore | RedisStore,
    target: Target,
    events: EventSink | None = None,
    on_call: Callable[[CallResult], None] | None = None,
    on_pipeline: Callable[[Pipeline[httpx.Response]], None] | None = None,
    note: Callable[[str], None] | None = None,
    patient: bool = True,
    recorder: Recorder | None = None,
) -> RunResult:
    """Send the plan's calls through the pipeline and return what happened.

    `note` hears about waits for another command's state lock, and once about a target
    that cannot be reached at all; `patient=False` does not wait for the lock at all
    (clean-up after Ctrl-C). `recorder` hears each call's arrival and each upstream
    answer (`--record`). `on_pipeline` is handed the pipeline before the first call (the
    metrics read its patterns' gauges).
    """
    run = _Run(
        plan,
        clock=clock,
        target=target,
        events=events,
        on_call=on_call,
        note=note,
        recorder=recorder,
    )
    run.on_pipeline = on_pipeline
    return await with_breaker(
        store,
        plan.policies.breaker,
        run,
        clock=clock,
        events=events,
        note=note,
        patient=patient,
    )


class _Run:
    """One run of a plan against a restored breaker."""

    def __init__(  # noqa: PLR0913 - the run's collaborators, each injected
        self,
        plan: RunPlan,
        *,
        clock: Clock,
        target: Target,
        events: EventSink | None,
        on_call: Callable[[CallResult], None] | None,
        note: Callable[[str], None] | None,
        recorder: Recorder | None = None,
    ) -> None:
        self._recorder = recorder
        self._plan = plan
        self._clock = clock
        self._target = target
        self._events = events
        self._on_call = on_call
        self._note = note
        self.on_pipeline: Callable[[Pipeline[httpx.Response]], None] | None = None

    async def __call__(self, side: BreakerSide) -> RunResult:
        plan, clock, target = self._plan, self._clock, self._target
        before = await side.view()
        pipeline = http_pipeline(
            plan.policies,
            side,
            seed=plan.seed,
            failure_rule=plan.failure_rule,
            clock=clock,
            events=self._events,
        )
        if self.on_pipeline is not None:
            self.on_pipeline(pipeline)
        client = ResilientClient(
            pipeline,
            target,
            concurrency=plan.workers,
            on_unreachable=self._note,
            recorder=self._recorder,
        )
        runner = _Workers(client, plan, clock, self._on_call)
        interrupted = False
        try:
            await runner.run()
        except asyncio.CancelledError:
            interrupted = True
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # we handle this one: save and report what we have
        finally:
            await client.aclose()
        return RunResult(
            plan=plan,
            tally=runner.tally,
            before=before,
            after=await side.view(),
            transitions=side.transitions(),
            bulkhead=None if pipeline.bulkhead is None else pipeline.bulkhead.statistics(),
            rate_limiter=None
            if pipeline.rate_limiter is None
            else pipeline.rate_limiter.statistics(),
            peak_in_flight=runner.peak_in_flight,
            elapsed=runner.elapsed,
            interrupted=interrupted,
            target=target.describe(),
        )


def http_pipeline(  # noqa: PLR0913 - what the pipeline is made of, each named
    policies: Policies,
    side: BreakerSide,
    *,
    seed: int,
    failure_rule: FailureRule,
    clock: Clock,
    events: EventSink | None,
) -> Pipeline[httpx.Response]:
    """The pipeline a run's (or a stress run's) HTTP calls go through.

    The patterns, their seed and the failure rule, the side's breaker, and each failed
    attempt noted against the call in flight.
    """
    return Pipeline.from_policies(
        policies,
        clock=clock,
        seed=seed,
        breaker=side.breaker,
        shared_breaker=side.shared,
        fallback=FALLBACK,
        classifier=HttpClassifier(clock, failure_rule),
        events=AttemptWatch(events),
    )


class AttemptWatch:
    """Passes every event on, and notes each failed attempt against the call in flight.

    The pipeline reports a call when it ends; a call cancelled mid-way never ends, yet the
    breaker counted its failed attempts. The events say what they were, in the call's own
    task, so no change to the pipeline's contract is needed to keep them.
    """

    __slots__ = ("_forward",)

    def __init__(self, forward: EventSink | None) -> None:
        self._forward = forward

    def __call__(self, event: Event, /) -> None:
        """Note a failed attempt against the call in flight, and pass the event on."""
        if isinstance(event, AttemptFailed):
            failed = IN_FLIGHT.get()
            if failed is not None:
                failed.append(Reason(event.reason))
        if self._forward is not None:
            self._forward(event)


class _Workers:
    """`concurrency` workers that take the plan's calls in order until none are left."""

    def __init__(
        self,
        client: ResilientClient,
        plan: RunPlan,
        clock: Clock,
        on_call: Callable[[CallResult], None] | None,
    ) -> None:
        self._client = client
        self._plan = plan
        self._clock = clock
        self._on_call = on_call
        self._todo = iter(plan.calls)
        self.tally = RunTally()
        self.in_flight = self.peak_in_flight = 0
        self._started = clock.monotonic()
        self.elapsed = 0.0

    async def run(self) -> None:
        self._started = self._clock.monotonic()
        try:
            await asyncio.gather(*(self._work() for _ in range(self._plan.workers)))
        finally:
            self.elapsed = self._clock.monotonic() - self._started

    async def _work(self) -> None:
        clock = self._clock
        for request in self._todo:
            began = clock.monotonic() - self._started
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            failed: list[Reason] = []
            IN_FLIGHT.set(failed)
            try:
                outcome = await self._client.send(request)
            except asyncio.CancelledError:
                self.tally.add_cut(failed)
                raise
            finally:
                self.in_flight -= 1
            self.tally.add(request.label, outcome)
            if self._on_call is not None:
                self._on_call(CallResult(request, began, outcome))
