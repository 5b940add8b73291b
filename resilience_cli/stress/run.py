"""One stress run: open-loop arrivals on the clock, through the patterns, counted over time.

Arrivals come from the plan's `LoadProfile`, at times fixed before the run: the run
sleeps until each is due and launches it as its own task, whatever the calls before it
are doing (k6's arrival-rate executors). A call's latency is counted from its scheduled
arrival, not from when it started, so an arrival launched late (a busy loop, a full
machine) shows its lateness in the figures instead of hiding it: no coordinated
omission. An arrival that finds `max_in_flight` calls in flight is dropped and counted,
never delayed. The lateness of every launch is measured too.

Every `interval` seconds the run closes a row of its series (`measure.StressSeries`) with
the patterns' gauges at that moment, and tells its watcher (the dashboard, the progress
lines, the metrics). After the last arrival, the calls still in flight get `GRACE`
seconds to finish (k6's gracefulStop), then are cut; rows go on being closed meanwhile.

The breaker is restored and saved as `run.execute` does it, under the state lock for the
whole run; on a Redis store it is shared live instead (`SharedBreaker`: no lock, each
admission and outcome a step on the server). `recorder` hears every arrival, the dropped
ones too (a replay must face that load), and each upstream answer (`--record`). Ctrl-C
(SIGTERM, SIGHUP) cancels the run: arrivals stop, calls in flight are cut (their failed
attempts counted, as the breaker counted them), the last partial row is closed, the
breaker is saved, and the result says `interrupted`.

It runs the same in real time and on a virtual clock: in virtual time the schedule runs
in jumps, and the same seed gives the same result.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from resilience_cli.client import ResilientClient
from resilience_cli.failure_rule import DEFAULT_RULE, FailureRule
from resilience_cli.measure import Latencies, RunTally
from resilience_cli.measure.series import Gauges, Moment, StressSeries
from resilience_cli.patterns.breaker import RECENT_TRANSITIONS, BreakerState, Transition
from resilience_cli.patterns.events import BreakerTransitioned, both
from resilience_cli.run import IN_FLIGHT, CallMeter, http_pipeline, plan_requests
from resilience_cli.run_breaker import BreakerSide, with_breaker

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import httpx

    from resilience_cli.client import Target
    from resilience_cli.clock import Clock
    from resilience_cli.measure.series import IntervalRow, SpanTally, Window
    from resilience_cli.patterns import (
        BulkheadStatistics,
        Event,
        EventSink,
        Pipeline,
        Policies,
        RateLimiterStatistics,
        Reason,
    )
    from resilience_cli.request import Request
    from resilience_cli.state import BreakerStore
    from resilience_cli.state.breaker import BreakerView
    from resilience_cli.state.redis_store import RedisStore
    from resilience_cli.stress.profile import LoadProfile
    from resilience_cli.trace import Recorder
    from resilience_cli.upstream.fault_control import LiveFaults

GRACE: Final = 30.0
"""Seconds the calls still in flight get after the last arrival, before they are cut."""
TICK: Final = 0.1
"""Seconds of the run's clock between two looks of the live view: at most 10 a second."""
TRANSITIONS_KEPT: Final = 10_000
"""Transitions a run keeps with their reasons; past them it only counts them."""


@dataclass(frozen=True, slots=True)
class StressPlan:
    """What a stress run is to do, decided before it starts.

    Each arrival sends one of `mix`'s requests, drawn by their weights with the seed
    (`run.plan_requests`, as the call commands draw theirs); `failure_rule` says what
    counts as a failure (`--fail-on`).
    """

    profile: LoadProfile
    mix: tuple[Request, ...]
    policies: Policies
    max_in_flight: int
    interval: float
    seed: int
    windows: tuple[Window, ...] = ()
    failure_rule: FailureRule = DEFAULT_RULE

    @property
    def calls(self) -> range:
        """The arrivals the profile schedules (what the summary calls planned)."""
        return range(self.profile.arrival_count)

    @property
    def concurrency(self) -> int:
        """Calls in flight at most: the summary's `concurrency`."""
        return self.max_in_flight


@dataclass(frozen=True, slots=True)
class StressResult:
    """What a stress run did: its tally, its series, its drops and lateness, the breaker.

    It reads as a `measure.FinishedRun`, so `summarize` makes the usual summary of it.
    """

    plan: StressPlan
    tally: RunTally
    series: StressSeries
    arrivals: int
    dropped: int
    lateness: Latencies
    before: BreakerView
    after: BreakerView
    moments: tuple[Moment, ...]
    transition_count: int
    bulkhead: BulkheadStatistics | None
    rate_limiter: RateLimiterStatistics | None
    peak_in_flight: int
    elapsed: float
    interrupted: bool
    target: str
    launch_span: float = 0.0

    @property
    def achieved_rate(self) -> float | None:
        """Arrivals per second over the span their launches took (None if none passed).

        A late loop never skips an arrival: it launches it late, so the last launch comes
        after the schedule's end, and the rate falls below the target. An interrupted run
        counts the time it had.
        """
        return self.arrivals / self.launch_span if self.launch_span > 0 else None

    @property
    def transitions(self) -> tuple[Transition, ...]:
        """The last transitions (as many as the state file keeps), for the summary."""
        return tuple(moment.transition for moment in self.moments[-RECENT_TRANSITIONS:])

    @property
    def rows(self) -> Sequence[IntervalRow]:
        """One row per interval."""
        return self.series.rows

    @property
    def duration(self) -> float:
        """Seconds the arrivals were scheduled over."""
        return self.plan.profile.duration

    @property
    def interval(self) -> float:
        """Seconds per row."""
        return self.plan.interval

    @property
    def planned_rate(self) -> float:
        """Arrivals per second, on average, that the schedule asked for."""
        profile = self.plan.profile
        return profile.total / profile.duration if profile.duration > 0 else 0.0


@dataclass(frozen=True, slots=True)
class LiveView:
    """A stress run as it stands: what the dashboard and the progress lines show."""

    plan: StressPlan
    elapsed: float
    target_rate: float
    arrivals: int
    dropped: int
    in_flight: int
    gauges: Gauges
    current: SpanTally
    rows: Sequence[IntervalRow]
    moments: Sequence[Moment]
    tally: RunTally
    done: bool = False

    @property
    def duration(self) -> float:
        """Seconds the arrivals last."""
        return self.plan.profile.duration

    @property
    def interval(self) -> float:
        """Seconds per row."""
        return self.plan.interval

    @property
    def max_in_flight(self) -> int:
        """Calls in flight past which arrivals are dropped."""
        return self.plan.max_in_flight


class StressMeter(CallMeter, Protocol):
    """Counts a stress run for its metrics (`metrics.RunMeter` is one): drops too."""

    def dropped(self) -> None:
        """An arrival was dropped."""
        ...


class StressWatcher(Protocol):
    """Hears a stress run as it goes: every `TICK` of its clock, and every closed interval."""

    def tick(self, view: LiveView) -> None:
        """The run now (called at most 10 times a second of the run's clock)."""
        ...

    def interval(self, row: IntervalRow, view: LiveView) -> None:
        """An interval closed."""
        ...


async def run_stress(  # noqa: PLR0913 - the run's collaborators, each injected
    plan: StressPlan,
    *,
    clock: Clock,
    store: BreakerStore | RedisStore,
    target: Target,
    faults: LiveFaults | None = None,
    events: EventSink | None = None,
    watcher: StressWatcher | None = None,
    meter: StressMeter | None = None,
    note: Callable[[str], None] | None = None,
    patient: bool = True,
    recorder: Recorder | None = None,
) -> StressResult:
    """Run the plan's arrivals through the pipeline and return what happened over time.

    `faults` start their schedule at the first arrival. The breaker is restored, locked
    and saved as `run.execute` does it, or shared live on a Redis store. `meter` hears of
    every call, drop and event; `recorder` of every arrival and upstream answer.
    """
    stress = _Stress(
        plan,
        clock=clock,
        target=target,
        faults=faults,
        events=_joined(events, meter),
        watcher=watcher,
        note=note,
    )
    stress.meter = meter
    stress.recorder = recorder
    return await with_breaker(
        store,
        plan.policies.breaker,
        stress,
        clock=clock,
        events=stress.sink,
        note=note,
        patient=patient,
    )


def _joined(events: EventSink | None, meter: StressMeter | None) -> EventSink | None:
    if meter is None:
        return events
    return meter if events is None else both(events, meter)


class _Transitions:
    """An event sink that notes each breaker transition with its time, then passes it on."""

    __slots__ = ("count", "forward", "moments", "on_transition")

    def __init__(self, forward: EventSink | None) -> None:
        self.forward = forward
        self.moments: list[Moment] = []
        self.count = 0
        self.on_transition: Callable[[BreakerTransitioned], None] | None = None

    def __call__(self, event: Event, /) -> None:
        if isinstance(event, BreakerTransitioned) and self.on_transition is not None:
            self.count += 1
            self.on_transition(event)
        if self.forward is not None:
            self.forward(event)


class _Stress:
    """One stress run against a restored breaker."""

    def __init__(  # noqa: PLR0913 - the run's collaborators, each injected
        self,
        plan: StressPlan,
        *,
        clock: Clock,
        target: Target,
        faults: LiveFaults | None,
        events: EventSink | None,
        watcher: StressWatcher | None,
        note: Callable[[str], None] | None,
    ) -> None:
        self._plan = plan
        self._clock = clock
        self._target = target
        self._faults = faults
        self._watcher = watcher
        self._note = note
        self._transitions = _Transitions(events)
        self.sink: EventSink = self._transitions
        self._tally = RunTally()
        self._lateness = Latencies()
        self._series = StressSeries(plan.windows)
        self._arrivals = self._dropped = 0
        self._launch_span: float | None = None  # seconds the launches took, once they end
        self._closed = 0  # rows closed so far
        self._in_flight = self._peak = 0
        self._started = 0.0
        self._calls: set[asyncio.Task[None]] = set()
        self._pipeline: Pipeline[httpx.Response] | None = None
        self._side: BreakerSide | None = None
        self._state: BreakerState | None = None  # the breaker's, as its transitions said
        self.meter: StressMeter | None = None
        self.recorder: Recorder | None = None

    async def __call__(self, side: BreakerSide) -> StressResult:
        plan, clock = self._plan, self._clock
        before = await side.view()
        used = side.breaker is not None or side.shared is not None
        self._side = side
        self._state = before.state if used else None
        self._transitions.on_transition = self._moved
        self._series = StressSeries(plan.windows, self._state)
        pipeline = http_pipeline(
            plan.policies,
            side,
            seed=plan.seed,
            failure_rule=plan.failure_rule,
            clock=clock,
            events=self._transitions,
        )
        self._pipeline = pipeline
        if self.meter is not None:
            self.meter.attach(pipeline)
        bulkhead = plan.policies.bulkhead
        reaching = plan.max_in_flight if bulkhead is None else bulkhead.max_concurrent
        client = ResilientClient(
            pipeline,
            self._target,
            concurrency=min(plan.max_in_flight, reaching),
            on_unreachable=self._note,
            recorder=self.recorder,
        )
        interrupted = False
        await client.start()  # before the first arrival: start-up is nobody's lateness
        self._started = clock.monotonic()
        if self._faults is not None:
            self._faults.start()
        try:
            await self._run(client)
        except asyncio.CancelledError:
            interrupted = True
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # handled here: save and report what we have
            if self._launch_span is None:  # cut while arrivals came: the time they had
                self._launch_span = clock.monotonic() - self._started
            await self._cut()
        finally:
            await client.aclose()
        elapsed = clock.monotonic() - self._started
        if not self._series.rows or elapsed > self._series.rows[-1].end:
            self._close(elapsed)
        if self._watcher is not None:
            self._watcher.tick(self._view(done=True))
        return StressResult(
            plan=plan,
            tally=self._tally,
            series=self._series,
            arrivals=self._arrivals,
            dropped=self._dropped,
            lateness=self._lateness,
            before=before,
            after=await side.view(),
            moments=tuple(self._transitions.moments),
            transition_count=self._transitions.count,
            bulkhead=None if pipeline.bulkhead is None else pipeline.bulkhead.statistics(),
            rate_limiter=None
            if pipeline.rate_limiter is None
            else pipeline.rate_limiter.statistics(),
            peak_in_flight=self._peak,
            elapsed=elapsed,
            interrupted=interrupted,
            target=self._target.describe(),
            launch_span=self._launch_span or 0.0,
        )

    # -- the run ---------------------------------------------------------------------------

    async def _run(self, client: ResilientClient) -> None:
        ticker = asyncio.create_task(self._tick())
        try:
            await self._arrive(client)
            await self._sleep_until(self._plan.profile.duration)
            if self._calls:
                await asyncio.wait(set(self._calls), timeout=GRACE)
            await self._cut()
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker

    async def _arrive(self, client: ResilientClient) -> None:
        plan, clock = self._plan, self._clock
        started = self._started
        requests = iter(plan_requests(plan.profile.arrival_count, plan.mix, plan.seed))
        recorder = self.recorder
        loop = asyncio.get_running_loop()
        late = 0.0
        for at, request in zip(plan.profile.arrivals(), requests, strict=False):
            due = started + at
            now = clock.monotonic()
            if due > now:
                await asyncio.sleep(due - now)
                now = clock.monotonic()
            late = max(0.0, now - due)
            self._lateness.add(late)
            self._arrivals += 1
            self._close_due(at)
            self._series.arrive(at)
            if self._in_flight >= plan.max_in_flight:
                self._dropped += 1
                self._series.drop(at)
                if self.meter is not None:
                    self.meter.dropped()
                if recorder is not None:  # load a replay must face too
                    recorder.arrived(clock.monotonic(), request.method, request.path)
                continue
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
            task = loop.create_task(self._call(client, request, due))
            self._calls.add(task)
            task.add_done_callback(self._calls.discard)
        # The schedule's span, stretched by as much as its last launch was late.
        self._launch_span = plan.profile.duration + late

    async def _call(self, client: ResilientClient, request: Request, due: float) -> None:
        failed: list[Reason] = []
        IN_FLIGHT.set(failed)
        try:
            outcome = await client.send(request)
        except asyncio.CancelledError:
            self._tally.add_cut(failed)
            raise
        finally:
            self._in_flight -= 1
        now = self._clock.monotonic()
        latency = now - due
        self._tally.add(request.label, outcome, latency)
        self._close_due(now - self._started)
        self._series.complete(now - self._started, outcome, latency)
        if self.meter is not None:
            self.meter.call(outcome, latency)

    async def _cut(self) -> None:
        """Cancel the calls still in flight; each counts its failed attempts as it goes."""
        calls = list(self._calls)
        for task in calls:
            task.cancel()
        if calls:
            await asyncio.gather(*calls, return_exceptions=True)

    async def _tick(self) -> None:
        """Close a row every interval, and show the live view every TICK in between."""
        interval = self._plan.interval
        step = min(TICK, interval) if self._watcher is not None else interval
        beat = 0
        while True:
            beat += 1
            next_close = (self._closed + 1) * interval
            await self._sleep_until(min(beat * step, next_close))
            if self._close_due(self._clock.monotonic() - self._started):
                beat = round(self._closed * interval / step)
            elif self._watcher is not None:
                self._watcher.tick(self._view())

    def _close_due(self, seconds: float) -> bool:
        """Close every row that ends by `seconds` into the run; whether one was closed.

        Arrivals and completions call it first too: one that falls at the very end of an
        interval belongs to the next ([start, end)), whichever task the loop runs first.
        """
        interval = self._plan.interval
        closed = False
        while (self._closed + 1) * interval <= seconds + 1e-9:
            self._closed += 1
            self._close(self._closed * interval)
            closed = True
        return closed

    async def _sleep_until(self, seconds: float) -> None:
        wait = self._started + seconds - self._clock.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def _close(self, end: float) -> None:
        row = self._series.close(
            end, self._gauges(), self._plan.profile.rate_at(max(0.0, end - 1e-9))
        )
        if self._watcher is not None:
            self._watcher.interval(row, self._view())

    def _moved(self, event: BreakerTransitioned) -> None:
        if self._side is None:  # pragma: no cover - the run sets it before any call
            return
        transition = self._side.transition(event, self._clock.wall())
        self._state = transition.to_state
        at = self._clock.monotonic() - self._started
        self._series.transition(at, transition.to_state)
        if len(self._transitions.moments) < TRANSITIONS_KEPT:
            self._transitions.moments.append(Moment(at, transition))

    def _gauges(self) -> Gauges:
        pipeline = self._pipeline
        breaker = None if self._side is None else self._side.breaker
        bulkhead = None if pipeline is None or pipeline.bulkhead is None else pipeline.bulkhead
        limiter = None if pipeline is None else pipeline.rate_limiter
        held = None if bulkhead is None else bulkhead.statistics()
        return Gauges(
            breaker=self._state if breaker is None else breaker.state,
            in_flight=self._in_flight,
            bulkhead_in_use=None if held is None else held.in_flight,
            bulkhead_queued=None if held is None else held.waiting,
            tokens=None if limiter is None else limiter.statistics().level,
        )

    def _view(self, *, done: bool = False) -> LiveView:
        elapsed = self._clock.monotonic() - self._started
        return LiveView(
            plan=self._plan,
            elapsed=elapsed,
            target_rate=self._plan.profile.rate_at(elapsed),
            arrivals=self._arrivals,
            dropped=self._dropped,
            in_flight=self._in_flight,
            gauges=self._gauges(),
            current=self._series.current,
            rows=self._series.rows,
            moments=self._transitions.moments,
            tally=self._tally,
            done=done,
        )
