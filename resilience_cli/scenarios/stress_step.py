"""A scenario's `stress` step: `resilience stress` as a step, judged over windows of its run.

The step runs `stress.run.run_stress` with the step's merged policies, on the run's clock,
store and target, its `phases` applied by the embedded upstream from the first arrival.
Its expectations see every call metric of the whole run, its load (`arrivals`,
`dropped`, `lateness`), and any of them over a window (`breaker.state[10s..25s]: open`):
the series counts each window as the run goes, so nothing is kept per call.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Protocol, TypeAlias

from resilience_cli.errors import UsageError
from resilience_cli.faults import Schedule, parse_phase
from resilience_cli.measure import summarize
from resilience_cli.mix import parse_mix
from resilience_cli.run import failure_rules
from resilience_cli.scenarios.metrics import stress_step_metrics, windows_of
from resilience_cli.scenarios.steps import StressSettings
from resilience_cli.stress.run import StressPlan, StressWatcher, run_stress
from resilience_cli.upstream.fault_control import LiveFaults

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from resilience_cli.client import Target
    from resilience_cli.clock import Clock
    from resilience_cli.failure_rule import FailureRule
    from resilience_cli.measure import RunSummary
    from resilience_cli.patterns import EventSink, Policies
    from resilience_cli.scenarios.metrics import Metric
    from resilience_cli.scenarios.model import Step
    from resilience_cli.state import BreakerStore
    from resilience_cli.state.redis_store import RedisStore
    from resilience_cli.stress.run import StressMeter, StressResult
    from resilience_cli.trace import Recorder


class StressScreen(StressWatcher, Protocol):
    """A watcher shown while the step runs (the dashboard, the progress lines)."""

    def __enter__(self) -> None:
        """Start showing."""
        ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Stop showing; the last frame stays."""
        ...


WatchFor: TypeAlias = "Callable[[LiveFaults | None], StressScreen]"
"""Makes the screen of a stress step, given the faults it applies (`cli.stress_watch`)."""


class TargetFor(Protocol):
    """Makes a fresh target for a step; `faults` are the phases its embedded upstream applies."""

    def __call__(self, faults: LiveFaults | None = None) -> Target:
        """A target, not started yet."""
        ...


def schedule_of(settings: StressSettings) -> Schedule:
    """The step's phases as a schedule (the model checked each of them)."""
    return Schedule.of(parse_phase(text) for text in settings.phases)


async def run_stress_step(  # noqa: PLR0913 - the run's collaborators, each injected
    step: Step,
    *,
    policies: Policies,
    rule: FailureRule,
    seed: int,
    clock: Clock,
    store: BreakerStore | RedisStore,
    target_for: TargetFor,
    events: EventSink | None,
    meter: StressMeter | None,
    note: Callable[[str], None] | None,
    patient: bool,
    recorder: Recorder | None,
    watch: WatchFor | None = None,
) -> tuple[StressResult, RunSummary, dict[str, Metric]]:
    """Run a stress step; its result, its summary and its metrics (windows included).

    `watch` makes what is shown while it runs; without it, nothing is.
    """
    settings = step.settings
    if not isinstance(settings, StressSettings):  # pragma: no cover - the runner sees to it
        raise TypeError(f"a {step.kind} step is not a stress step")
    profile = settings.profile()
    windows = windows_of(
        (expectation.metric for expectation in step.expectations), profile.duration
    )
    requests = parse_mix(settings.mix)
    plan = StressPlan(
        profile=profile,
        mix=requests,
        policies=policies,
        max_in_flight=settings.max_in_flight,
        interval=settings.interval,
        seed=seed,
        windows=tuple(dict.fromkeys(windows.values())),
        failure_rule=rule,
    )
    schedule = schedule_of(settings)
    faults = LiveFaults(schedule, clock=clock.monotonic, seed=seed) if schedule else None
    try:
        target = target_for() if faults is None else target_for(faults)
    except UsageError as exc:
        raise UsageError(f"step {step.name!r}: {exc}") from None
    screen = None if watch is None else watch(faults)
    with contextlib.nullcontext() if screen is None else screen:
        result = await run_stress(
            plan,
            clock=clock,
            store=store,
            target=target,
            faults=faults,
            events=events,
            watcher=screen,
            meter=meter,
            note=note,
            patient=patient,
            recorder=recorder,
        )
    summary = summarize(result, "stress", failure_rules(rule, requests))
    return result, summary, stress_step_metrics(summary, result, windows)
