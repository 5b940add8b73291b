"""A run's numbers: counts by outcome and reason, retries, latency, pacing, the breaker.

`summarize` reads a finished run through `FinishedRun`, the few things it needs of one,
so this layer does not depend on the run that feeds it (`run.RunResult` is one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sized

    from resilience_cli.measure.latencies import Latencies
    from resilience_cli.measure.tally import EndpointTally, RunTally
    from resilience_cli.patterns import (
        BulkheadStatistics,
        RateLimiterStatistics,
        Reason,
        Transition,
    )
    from resilience_cli.state.breaker import BreakerView


@dataclass(frozen=True, slots=True)
class Latency:
    """Call latency percentiles, in milliseconds, over whole logical calls."""

    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, latencies: Latencies) -> Latency:
        """The report's four figures of `latencies` (in seconds), in milliseconds."""
        return cls(
            p50=latencies.percentile(50) * 1000,
            p95=latencies.percentile(95) * 1000,
            p99=latencies.percentile(99) * 1000,
            max=latencies.max * 1000,
        )


@dataclass(frozen=True, slots=True)
class EndpointRow:
    """The counts for one endpoint (or for the whole run)."""

    label: str
    calls: int
    succeeded: int
    recovered: int
    fallbacks: int
    failed: int
    retries: int
    latency: Latency

    @classmethod
    def of(cls, label: str, tally: EndpointTally) -> EndpointRow:
        """The row of one endpoint's tally."""
        return cls(
            label=label,
            calls=tally.calls,
            succeeded=tally.succeeded,
            recovered=tally.recovered,
            fallbacks=tally.fallbacks,
            failed=tally.failed,
            retries=tally.retries,
            latency=Latency.of(tally.latencies),
        )


@dataclass(frozen=True, slots=True)
class RunSummary:
    """Everything the end-of-run report shows."""

    command: str
    target: str
    planned: int
    total: EndpointRow
    endpoints: tuple[EndpointRow, ...]
    fallbacks_by_reason: tuple[tuple[Reason, int], ...]
    attempts: int
    failed_attempts_by_reason: tuple[tuple[Reason, int], ...]
    concurrency: int
    peak_in_flight: int
    bulkhead_peak: int | None
    bulkhead_peak_waiting: int | None
    limiter_waits: int | None
    elapsed: float
    achieved_rate: float | None
    before: BreakerView
    after: BreakerView
    transitions: tuple[Transition, ...]
    interrupted: bool
    seed: int
    cut_short: int = 0  # calls an interruption cut short; their failed attempts are counted
    failure_rules: tuple[str, ...] = ()  # what decided failures: the run's rule, requests' own


class PlannedRun(Protocol):
    """What `summarize` reads of a run's plan."""

    @property
    def calls(self) -> Sized: ...  # noqa: D102 - the calls planned
    @property
    def concurrency(self) -> int: ...  # noqa: D102 - the concurrency asked for
    @property
    def seed(self) -> int: ...  # noqa: D102


class FinishedRun(Protocol):
    """What `summarize` reads of a finished run: its tally and what the run saw around it."""

    @property
    def plan(self) -> PlannedRun: ...  # noqa: D102
    @property
    def tally(self) -> RunTally: ...  # noqa: D102
    @property
    def before(self) -> BreakerView: ...  # noqa: D102
    @property
    def after(self) -> BreakerView: ...  # noqa: D102
    @property
    def transitions(self) -> tuple[Transition, ...]: ...  # noqa: D102
    @property
    def bulkhead(self) -> BulkheadStatistics | None: ...  # noqa: D102
    @property
    def rate_limiter(self) -> RateLimiterStatistics | None: ...  # noqa: D102
    @property
    def peak_in_flight(self) -> int: ...  # noqa: D102
    @property
    def elapsed(self) -> float: ...  # noqa: D102
    @property
    def interrupted(self) -> bool: ...  # noqa: D102
    @property
    def target(self) -> str: ...  # noqa: D102


def achieved_rate(calls: int, elapsed: float) -> float | None:
    """Calls per second of the run's elapsed time; None (shown as `-`) when no time passed.

    One definition for real and virtual time: a virtual run whose calls all fell back
    at once took no time at all, and has no rate rather than a rate of 0.
    """
    return calls / elapsed if elapsed > 0 else None


def summarize(result: FinishedRun, command: str, failure_rules: tuple[str, ...] = ()) -> RunSummary:
    """Sum a run up: totals, one row per endpoint, fallbacks by reason, pacing.

    `failure_rules` says what decided failures (`run.failure_rules`), in lines.
    """
    tally = result.tally
    total = tally.total()
    bulkhead, limiter = result.bulkhead, result.rate_limiter
    return RunSummary(
        command=command,
        target=result.target,
        planned=len(result.plan.calls),
        total=EndpointRow.of("all", total),
        endpoints=tuple(EndpointRow.of(label, row) for label, row in tally.endpoints.items()),
        fallbacks_by_reason=tally.fallbacks_by_reason,
        attempts=tally.attempts,
        failed_attempts_by_reason=tally.failed_attempts_by_reason,
        concurrency=result.plan.concurrency,
        peak_in_flight=result.peak_in_flight,
        bulkhead_peak=None if bulkhead is None else bulkhead.peak_in_flight,
        bulkhead_peak_waiting=None if bulkhead is None else bulkhead.peak_waiting,
        limiter_waits=None if limiter is None else limiter.waited,
        elapsed=result.elapsed,
        achieved_rate=achieved_rate(total.calls, result.elapsed),
        before=result.before,
        after=result.after,
        transitions=result.transitions,
        interrupted=result.interrupted,
        seed=result.plan.seed,
        cut_short=tally.cut_short,
        failure_rules=failure_rules,
    )
