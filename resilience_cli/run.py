"""One command's run: restore the breaker, send the calls, save the breaker, report.

The breaker is a shared resource, so a run holds the state file's lock from restore to
save: two runs started together take turns instead of overwriting each other's updates
(`resilience state`, which only reads, never waits for it).

Ctrl-C cancels the run's task. The calls in flight are cancelled, the breaker state is
saved as it stands, and the run returns what it has with `interrupted=True`; the command
prints that partial summary and exits 130.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from resilience_cli.client import FALLBACK, HttpClassifier, ResilientClient
from resilience_cli.patterns import Pipeline, Policies
from resilience_cli.state.breaker import BreakerView, load_breaker
from resilience_cli.state.turn import turn

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    import httpx

    from resilience_cli.client import Target
    from resilience_cli.clock import Clock
    from resilience_cli.mix import Endpoint
    from resilience_cli.patterns import (
        BulkheadStatistics,
        CallOutcome,
        EventSink,
        RateLimiterStatistics,
        Transition,
    )
    from resilience_cli.state import BreakerStore


@dataclass(frozen=True, slots=True)
class CallResult:
    """One call of a run: what was asked, when it began (seconds into the run), its outcome."""

    endpoint: Endpoint
    began: float
    outcome: CallOutcome[httpx.Response]


class Calls(Protocol):
    """The calls of a plan, in order: a tuple, or a seeded draw made as the run goes."""

    def __iter__(self) -> Iterator[Endpoint]: ...

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

    @property
    def workers(self) -> int:
        """Calls offered at once: the concurrency asked for, at most one per call."""
        return max(1, min(self.concurrency, len(self.calls)))


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a run did: its calls, the breaker before and after, and the patterns' statistics."""

    plan: RunPlan
    calls: tuple[CallResult, ...]
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
class MixDraw:
    """`count` endpoints drawn from a weighted mix with a seeded rng: same seed, same calls.

    The draw is made one call at a time as the run takes them, so a plan of a million
    calls costs no more memory than a plan of ten. It is the very sequence
    `random.Random(seed).choices(endpoints, weights, k=count)` returns: the same
    cumulative weights, one `random()` and one bisection per call.
    """

    count: int
    mix: tuple[tuple[Endpoint, float], ...]
    seed: int

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Endpoint]:
        endpoints = [endpoint for endpoint, _ in self.mix]
        cumulative = list(itertools.accumulate(weight for _, weight in self.mix))
        total = cumulative[-1] + 0.0
        last = len(endpoints) - 1
        draw = random.Random(self.seed).random
        for _ in range(self.count):
            yield endpoints[bisect.bisect(cumulative, draw() * total, 0, last)]


def plan_mix(count: int, mix: Sequence[tuple[Endpoint, float]], seed: int) -> MixDraw:
    """`count` endpoints drawn from a weighted mix with a seeded rng: same seed, same plan."""
    return MixDraw(count, tuple(mix), seed)


async def execute(  # noqa: PLR0913 - the run's collaborators, each injected
    plan: RunPlan,
    *,
    clock: Clock,
    store: BreakerStore,
    target: Target,
    events: EventSink | None = None,
    on_call: Callable[[CallResult], None] | None = None,
    note: Callable[[str], None] | None = None,
    patient: bool = True,
) -> RunResult:
    """Send the plan's calls through the pipeline and return what happened.

    `note` hears about waits for another command's state lock; `patient=False` does not
    wait for it at all (clean-up after Ctrl-C).
    """
    async with turn(store, note=note, patient=patient) as transaction:
        breaker = load_breaker(
            transaction.snapshot,
            plan.policies.breaker,
            clock=clock,
            events=events,
            location=store.location,
        )
        before = BreakerView.of(breaker)
        mark = breaker.transition_mark()
        pipeline: Pipeline[httpx.Response] = Pipeline.from_policies(
            plan.policies,
            clock=clock,
            seed=plan.seed,
            # A run with the breaker switched off leaves the persisted one as it was.
            breaker=None if plan.policies.breaker is None else breaker,
            fallback=FALLBACK,
            classifier=HttpClassifier(clock),
            events=events,
        )
        client = ResilientClient(pipeline, target, concurrency=plan.workers)
        runner = _Workers(client, plan, clock, on_call)
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
        transaction.replace(breaker.snapshot())
        after = BreakerView.of(breaker)
    return RunResult(
        plan=plan,
        calls=tuple(runner.results),
        before=before,
        after=after,
        transitions=breaker.transitions_since(mark),
        bulkhead=None if pipeline.bulkhead is None else pipeline.bulkhead.statistics(),
        rate_limiter=None if pipeline.rate_limiter is None else pipeline.rate_limiter.statistics(),
        peak_in_flight=runner.peak_in_flight,
        elapsed=runner.elapsed,
        interrupted=interrupted,
        target=target.describe(),
    )


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
        self.results: list[CallResult] = []
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
        for endpoint in self._todo:
            began = clock.monotonic() - self._started
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                outcome = await self._client.request(endpoint.method, endpoint.path)
            finally:
                self.in_flight -= 1
            # Keep the numbers, not the response: a long run would otherwise hold every
            # body and request in memory, and the garbage collector would walk them all.
            result = CallResult(endpoint, began, outcome._replace(value=None))
            self.results.append(result)
            if self._on_call is not None:
                self._on_call(result)
