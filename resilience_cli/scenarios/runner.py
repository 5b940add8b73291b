"""Run a scenario: its steps in order, each judged by its expectations, then `finally`.

Every step does what its one-liner does, on the same state file: a call step is
`execute()` with the step's merged policies, `state` reads the breaker, `force-open` and
`reset` steer it, `pause` lets time pass (virtual time passes at once), `faults`
changes what the scenario's proxy does to the calls that follow, and `stress` is
`resilience stress` with the step's policies (`stress_step.py`).

- A strict expectation that fails marks the run failed; one with `abort_on_fail` also
  skips the remaining steps. An advisory one (`strict: false`) is shown, never counted.
- `finally` always runs: after the last step, after an abort, and after Ctrl-C.
- Ctrl-C cancels the task: the step in flight stops (a call step saves its breaker and
  keeps its partial result), `finally` runs, and the report says `interrupted`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Protocol

from resilience_cli.compare import compare, parse_presets
from resilience_cli.errors import (
    EXIT_EXPECTATION_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    ResilienceError,
    UsageError,
)
from resilience_cli.failure_rule import DEFAULT_RULE, parse_fail_on
from resilience_cli.measure import RunStatus, StepStatus, summarize
from resilience_cli.mix import delay_mix, parse_mix, status_mix
from resilience_cli.patterns.events import both
from resilience_cli.run import RunPlan, execute, failure_rules, plan_requests
from resilience_cli.scenarios.metrics import (
    breaker_step_metrics,
    call_step_metrics,
    compare_step_metrics,
    evaluate,
)
from resilience_cli.scenarios.steps import (
    CompareSettings,
    DelaySettings,
    ErrorSettings,
    FaultsSettings,
    ForceOpenSettings,
    InvokeSettings,
    PauseSettings,
)
from resilience_cli.scenarios.stress_step import run_stress_step
from resilience_cli.state.breaker import BreakerView, OperatorAction, load_breaker, steer
from resilience_cli.state.lock_wait import wait_for_transaction
from resilience_cli.state.redis_store import RedisStore
from resilience_cli.trace import Tee, Trace, TraceMemory

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence

    from resilience_cli.clock import Clock
    from resilience_cli.compare import Comparison
    from resilience_cli.failure_rule import FailureRule
    from resilience_cli.measure import RunSummary
    from resilience_cli.patterns import CircuitBreaker, EventSink, Transition
    from resilience_cli.proxy.faults import FaultSwitch
    from resilience_cli.request import Request
    from resilience_cli.run import RunResult
    from resilience_cli.scenarios.metrics import Metric, Verdict
    from resilience_cli.scenarios.model import Scenario, Step
    from resilience_cli.scenarios.stress_step import TargetFor, WatchFor
    from resilience_cli.state import BreakerStore
    from resilience_cli.stress.run import StressMeter, StressResult
    from resilience_cli.trace import Recorder

    # Called before each step (for `--interactive` and the live report) and after it.
    BeforeStep = Callable[[str, int, Step], Awaitable[None]]
    AfterStep = Callable[["StepReport"], None]


class LogLine(Protocol):
    """Writes one run-level line of the decision log (`EventLog.info`)."""

    def __call__(self, event: str, /, **fields: object) -> None:
        """Log `event` with its fields."""
        ...


@dataclass(frozen=True, slots=True)
class StepReport:
    """One step as it ran: its numbers, the breaker around it, and its verdicts."""

    section: str  # "steps" or "finally"
    index: int
    step: Step
    status: StepStatus
    elapsed: float = 0.0
    summary: RunSummary | None = None
    before: BreakerView | None = None
    after: BreakerView | None = None
    transitions: tuple[Transition, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    error: str = ""  # why an ERROR step could not run
    error_code: int = 0
    comparison: Comparison | None = None  # a compare step's replay of the run so far
    stress: StressResult | None = None  # a stress step's run over time: its series, its load


@dataclass(frozen=True, slots=True)
class ScenarioReport:
    """A whole run: every step's report, the outcome, and how long it took."""

    scenario: Scenario
    source: str
    target: str
    virtual_time: bool
    started_at: float  # wall clock
    elapsed: float
    status: RunStatus
    steps: tuple[StepReport, ...] = field(default=())

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        """Every expectation judged, in order."""
        return tuple(verdict for step in self.steps for verdict in step.verdicts)

    @property
    def exit_code(self) -> int:
        """0 passed, 1 an expectation failed or aborted, 130 interrupted, else the error's."""
        if self.status is RunStatus.INTERRUPTED:
            return EXIT_INTERRUPTED
        if self.status is RunStatus.ERROR:
            return next(step.error_code for step in self.steps if step.error_code)
        return EXIT_OK if self.status is RunStatus.PASSED else EXIT_EXPECTATION_FAILED


def overall_exit_code(reports: Sequence[ScenarioReport]) -> int:
    """Interrupted wins, then a step that could not run (3, 2), then failed, then passed."""
    codes = {report.exit_code for report in reports}
    for code in (EXIT_INTERRUPTED, EXIT_INTERNAL, EXIT_USAGE, EXIT_EXPECTATION_FAILED):
        if code in codes:
            return code
    return EXIT_OK


@dataclass(frozen=True, slots=True)
class _Context:
    scenario: Scenario
    clock: Clock
    store: BreakerStore | RedisStore
    target_for: TargetFor
    events: EventSink | None
    note: Callable[[str], None] | None
    log_line: LogLine | None
    environ: Mapping[str, str]
    faults: FaultSwitch | None
    recorder: Recorder | None
    memory: TraceMemory | None  # what the run has called so far, for compare steps
    meter: StressMeter | None = None
    watch: WatchFor | None = None


async def run_scenario(  # noqa: PLR0913 - the run's collaborators, each injected
    scenario: Scenario,
    *,
    source: str,
    clock: Clock,
    store: BreakerStore | RedisStore,
    target_for: TargetFor,
    events: EventSink | None = None,
    before_step: BeforeStep | None = None,
    after_step: AfterStep | None = None,
    target: str = "embedded",
    virtual_time: bool = False,
    note: Callable[[str], None] | None = None,
    log_line: LogLine | None = None,
    environ: Mapping[str, str] | None = None,
    faults: FaultSwitch | None = None,
    recorder: Recorder | None = None,
    meter: StressMeter | None = None,
    watch: WatchFor | None = None,
) -> ScenarioReport:
    """Run every step, then `finally`, and judge each step's expectations.

    `target_for` makes a fresh target per call step (a target is closed after its step);
    a stress step with phases hands it the faults its embedded upstream applies.
    `log_line` writes the run-level lines an operator step adds to its breaker's events
    (`state.replaced`, `breaker.reset`), as the `force-open` and `reset` commands do.
    `environ` fills in the `${VAR}`s of the file's requests (check them first with
    `expanded_requests`: a variable not set would stop the step that uses it). `faults`
    is the switch of the proxy `target_for` stands in front of, which `faults:` steps set.
    `recorder` hears each call's arrival and each upstream answer of every call step.
    `meter` counts the calls of every call step, and reads each step's patterns.
    `watch` makes what a stress step shows while it runs (its dashboard, its lines).
    """
    memory = None
    if any(step.kind == "compare" for _, step in scenario.sections()):
        memory = TraceMemory(origin=clock.monotonic())
        recorder = memory if recorder is None else Tee(recorder, memory)
    context = _Context(
        scenario,
        clock,
        store,
        target_for,
        events,
        note,
        log_line,
        environ or {},
        faults,
        recorder,
        memory,
        meter,
        watch,
    )
    started_wall, started = clock.wall(), clock.monotonic()
    reports: list[StepReport] = []
    status = RunStatus.PASSED
    for section, steps in (("steps", scenario.steps), ("finally", scenario.finally_)):
        for index, step in enumerate(steps):
            if section == "steps" and status in _STOPPED:
                reports.append(StepReport(section, index, step, StepStatus.SKIPPED))
                continue
            if before_step is not None and status is not RunStatus.INTERRUPTED:
                try:
                    await before_step(section, index, step)
                except asyncio.CancelledError:
                    _uncancel()
                    status = RunStatus.INTERRUPTED
                    reports.append(StepReport(section, index, step, StepStatus.SKIPPED))
                    continue
            patient = status is not RunStatus.INTERRUPTED
            report = await _run_step(context, section, index, step, patient=patient)
            reports.append(report)
            if after_step is not None:
                after_step(report)
            status = _next_status(status, report)
    return ScenarioReport(
        scenario=scenario,
        source=source,
        target=target,
        virtual_time=virtual_time,
        started_at=started_wall,
        elapsed=clock.monotonic() - started,
        status=status,
        steps=tuple(reports),
    )


_STOPPED = (RunStatus.ABORTED, RunStatus.INTERRUPTED, RunStatus.ERROR)


def _next_status(status: RunStatus, report: StepReport) -> RunStatus:
    if status is RunStatus.INTERRUPTED or report.status is StepStatus.INTERRUPTED:
        return RunStatus.INTERRUPTED
    if status is RunStatus.ERROR or report.status is StepStatus.ERROR:
        return RunStatus.ERROR
    failed = [v for v in report.verdicts if v.strict and not v.passed]
    if any(verdict.abort_on_fail for verdict in failed) and report.section == "steps":
        return RunStatus.ABORTED
    if failed and status is RunStatus.PASSED:
        return RunStatus.FAILED
    return status


def _uncancel() -> None:
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()  # handled here: what follows (finally steps, the report) must run


async def _run_step(
    context: _Context, section: str, index: int, step: Step, *, patient: bool
) -> StepReport:
    clock = context.clock
    began = clock.monotonic()
    run = _call_step if step.is_call else _OTHER_STEPS.get(step.kind, _breaker_step)
    try:
        return await run(context, section, index, step, patient=patient)
    except asyncio.CancelledError:  # Ctrl-C before the step's own handling (the lock wait)
        _uncancel()
        return StepReport(section, index, step, StepStatus.INTERRUPTED, clock.monotonic() - began)
    except ResilienceError as exc:  # the state file or its lock: this step cannot run
        return StepReport(
            section,
            index,
            step,
            StepStatus.ERROR,
            clock.monotonic() - began,
            error=str(exc),
            error_code=exc.exit_code,
        )


def _judge(step: Step, metrics: dict[str, Metric]) -> tuple[Verdict, ...]:
    return tuple(
        evaluate(
            expectation.metric,
            expectation.threshold,
            metrics,
            strict=expectation.strict,
            abort_on_fail=expectation.abort_on_fail,
        )
        for expectation in step.expectations
    )


def _status(verdicts: tuple[Verdict, ...]) -> StepStatus:
    failed = any(verdict.strict and not verdict.passed for verdict in verdicts)
    return StepStatus.FAILED if failed else StepStatus.PASSED


def expanded_requests(scenario: Scenario, environ: Mapping[str, str]) -> tuple[Request, ...]:
    """The file's requests with every `${VAR}` filled in: the check before a run.

    Raises:
        UndefinedVariableError: A variable is not set (its message names it).
    """
    return tuple(spec.expanded(environ) for spec in scenario.requests)


def _failure_rule(scenario: Scenario, step: Step) -> FailureRule:
    fail_on = scenario.resolved_fail_on(step)
    return DEFAULT_RULE if fail_on is None else parse_fail_on(fail_on, "fail_on")


def _requests(context: _Context, step: Step) -> tuple[Request, ...]:
    """The step's requests, as its one-liner sends them (or drawn from `requests:`)."""
    settings = step.settings
    specs = context.scenario.request_specs(step)
    if specs:
        try:
            return tuple(spec.expanded(context.environ) for spec in specs)
        except ValueError as exc:  # a variable not set: this step cannot run
            raise UsageError(str(exc)) from None
    if isinstance(settings, InvokeSettings):
        mix = parse_mix(settings.mix)
    elif isinstance(settings, DelaySettings):
        mix = delay_mix(settings.seconds)
    elif isinstance(settings, ErrorSettings):
        mix = status_mix(settings.status)
    else:
        raise TypeError(f"a {step.kind} step makes no calls")
    return mix


def _with_meter(events: EventSink | None, meter: StressMeter | None) -> EventSink | None:
    if meter is None:
        return events
    return meter if events is None else both(events, meter)


async def _call_step(
    context: _Context, section: str, index: int, step: Step, *, patient: bool
) -> StepReport:
    scenario = context.scenario
    settings = step.settings
    if not isinstance(settings, InvokeSettings | DelaySettings | ErrorSettings):
        raise TypeError(f"a {step.kind} step makes no calls")
    requests = _requests(context, step)
    rule = _failure_rule(scenario, step)
    meter = context.meter
    plan = RunPlan(
        calls=plan_requests(settings.count, requests, scenario.seed),
        policies=scenario.resolved_policies(step),
        concurrency=scenario.resolved_concurrency(step),
        seed=scenario.seed,
        failure_rule=rule,
    )
    result = await execute(
        plan,
        clock=context.clock,
        store=context.store,
        target=context.target_for(),
        events=_with_meter(context.events, meter),
        on_call=None
        if meter is None
        else lambda done: meter.call(done.outcome, done.outcome.duration),
        on_pipeline=None if meter is None else meter.attach,
        note=context.note,
        patient=patient,
        recorder=context.recorder,
    )
    summary = summarize(result, step.kind, failure_rules(rule, requests))
    verdicts = _judge(step, call_step_metrics(summary, result.tally))
    return _load_report(section, index, step, result, summary=summary, verdicts=verdicts)


def _load_report(  # noqa: PLR0913 - the step, where it stands, and what it came to
    section: str,
    index: int,
    step: Step,
    result: RunResult | StressResult,
    *,
    summary: RunSummary,
    verdicts: tuple[Verdict, ...],
    stress: StressResult | None = None,
) -> StepReport:
    """A call or stress step's report: interrupted, or judged by its verdicts."""
    return StepReport(
        section,
        index,
        step,
        StepStatus.INTERRUPTED if result.interrupted else _status(verdicts),
        result.elapsed,
        summary,
        result.before,
        result.after,
        result.transitions,
        verdicts,
        stress=stress,
    )


async def _stress_step(
    context: _Context, section: str, index: int, step: Step, *, patient: bool
) -> StepReport:
    """`resilience stress` as a step; its expectations see windows of the run too."""
    scenario = context.scenario
    result, summary, metrics = await run_stress_step(
        step,
        policies=scenario.resolved_policies(step),
        rule=_failure_rule(scenario, step),
        seed=scenario.seed,
        clock=context.clock,
        store=context.store,
        target_for=context.target_for,
        events=context.events,
        meter=context.meter,
        note=context.note,
        patient=patient,
        recorder=context.recorder,
        watch=context.watch,
    )
    verdicts = _judge(step, metrics)
    return _load_report(
        section, index, step, result, summary=summary, verdicts=verdicts, stress=result
    )


async def _compare_step(
    context: _Context, section: str, index: int, step: Step, *, patient: bool
) -> StepReport:
    """Replay the calls this run has made so far through presets, as `resilience compare`."""
    del patient  # it waits for nothing
    clock = context.clock
    began = clock.monotonic()
    settings = step.settings
    if not isinstance(settings, CompareSettings) or context.memory is None:  # pragma: no cover
        raise TypeError(f"a {step.kind} step is not a compare step")
    trace = Trace.of(context.memory, "run")
    if not trace.arrivals:
        raise UsageError("a compare step needs calls before it to replay; there were none")
    comparison = compare(trace, parse_presets(",".join(settings.presets)), seed=settings.seed)
    elapsed = clock.monotonic() - began
    verdicts = _judge(step, compare_step_metrics(comparison, elapsed))
    return StepReport(
        section,
        index,
        step,
        _status(verdicts),
        elapsed,
        verdicts=verdicts,
        comparison=comparison,
    )


async def _breaker_step(
    context: _Context, section: str, index: int, step: Step, *, patient: bool
) -> StepReport:
    clock = context.clock
    began = clock.monotonic()
    if step.kind in ("force-open", "reset"):
        before, after, transitions = await _steer_step(context, step, patient=patient)
    else:
        if isinstance(step.settings, FaultsSettings):
            _set_faults(context, step.settings)
        before, after, transitions = await _look(context, step)
    elapsed = clock.monotonic() - began
    verdicts = _judge(step, breaker_step_metrics(before, after, transitions, elapsed))
    return StepReport(
        section,
        index,
        step,
        _status(verdicts),
        elapsed,
        before=before,
        after=after,
        transitions=transitions,
        verdicts=verdicts,
    )


# The steps that are neither call steps nor breaker steps, by kind.
_OTHER_STEPS: Final = {"compare": _compare_step, "stress": _stress_step}


def _set_faults(context: _Context, settings: FaultsSettings) -> None:
    """A `faults` step: the proxy does this from the next call on; then it looks as `state`."""
    if context.faults is None:
        raise UsageError("a faults step needs the scenario's proxy: target: {proxy: ...}")
    context.faults.profile = settings.profile()
    if context.log_line is not None:
        context.log_line("faults.changed", faults=context.faults.profile.describe())


async def _look(
    context: _Context, step: Step
) -> tuple[BreakerView, BreakerView, tuple[Transition, ...]]:
    """`state` and `pause` only read, as `resilience state` does: no lock, no write."""
    clock, store = context.clock, context.store
    config = context.scenario.resolved_policies(step).breaker

    def read() -> CircuitBreaker:
        return load_breaker(store.load(), config, clock=clock, events=None, location=store.location)

    settings = step.settings
    before: BreakerView | None = None
    if isinstance(settings, PauseSettings):
        before = BreakerView.of(read())
        await asyncio.sleep(settings.seconds)
    breaker = read()
    mark = breaker.transition_mark()  # a transition that time made due counts
    after = BreakerView.of(breaker)
    return after if before is None else before, after, breaker.transitions_since(mark)


async def _steer_step(
    context: _Context, step: Step, *, patient: bool
) -> tuple[BreakerView, BreakerView, tuple[Transition, ...]]:
    """`force-open` and `reset`, by the same code as the commands (`steer`)."""
    store = context.store
    settings = step.settings
    action = (
        OperatorAction.force_open(settings.reason)
        if isinstance(settings, ForceOpenSettings)
        else OperatorAction.reset()
    )
    config = context.scenario.resolved_policies(step).breaker
    if isinstance(store, RedisStore):
        from resilience_cli.state.breaker import steer_shared  # noqa: PLC0415

        steered = await asyncio.to_thread(steer_shared, store, action, config, clock=context.clock)
    else:
        async with wait_for_transaction(
            store, note=context.note, patient=patient, replace_broken=action.replace_broken
        ) as transaction:
            steered = steer(
                transaction, action, config, clock=context.clock, location=store.location
            )
    # Logged once saved, as the commands do, with the same lines.
    if context.events is not None:
        for event in steered.events:
            context.events(event)
    if context.log_line is not None:
        for name, fields in steered.log_lines(store.location):
            context.log_line(name, **fields)
    if steered.replaced is not None and context.note is not None:
        context.note(f"replaced the unreadable state file: {steered.replaced}")
    return steered.before, steered.after, steered.transitions
