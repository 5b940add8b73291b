"""A run's numbers: counts by outcome and reason, retries, latency, pacing, the breaker."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from resilience_cli.patterns import OutcomeKind, Reason

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resilience_cli.patterns import Transition
    from resilience_cli.run import CallResult, RunResult
    from resilience_cli.state.breaker import BreakerView


@dataclass(frozen=True, slots=True)
class Latency:
    """Call latency percentiles, in milliseconds, over whole logical calls."""

    p50: float
    p95: float
    p99: float
    max: float


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


def percentile(ordered: Sequence[float], percent: float) -> float:
    """The nearest-rank `percent` percentile (0 < percent <= 100) of sorted values.

    0 when there are none. The rank is exact: p(7) of 100 values is the 7th, where float
    arithmetic (0.07 * 100 = 7.000000000000001) would round up to the 8th.
    """
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(Fraction(repr(float(percent))) * len(ordered) / 100))
    return ordered[rank - 1]


def achieved_rate(calls: int, elapsed: float) -> float | None:
    """Calls per second of the run's elapsed time; None (shown as `-`) when no time passed.

    One definition for real and virtual time: a virtual run whose calls all fell back
    at once took no time at all, and has no rate rather than a rate of 0.
    """
    return calls / elapsed if elapsed > 0 else None


def _latency(durations: Sequence[float]) -> Latency:
    ordered = sorted(durations)
    return Latency(
        p50=percentile(ordered, 50) * 1000,
        p95=percentile(ordered, 95) * 1000,
        p99=percentile(ordered, 99) * 1000,
        max=(ordered[-1] if ordered else 0.0) * 1000,
    )


def _row(label: str, calls: Sequence[CallResult]) -> EndpointRow:
    kinds = Counter(call.outcome.kind for call in calls)
    return EndpointRow(
        label=label,
        calls=len(calls),
        succeeded=kinds[OutcomeKind.SUCCESS],
        recovered=kinds[OutcomeKind.RECOVERED],
        fallbacks=kinds[OutcomeKind.FALLBACK],
        failed=kinds[OutcomeKind.FAILED],
        retries=sum(call.outcome.retries for call in calls),
        latency=_latency([call.outcome.duration for call in calls]),
    )


def _by_reason(counts: Counter[Reason]) -> tuple[tuple[Reason, int], ...]:
    return tuple((reason, counts[reason]) for reason in Reason if counts[reason])


def summarize(result: RunResult, command: str) -> RunSummary:
    """Sum a run up: totals, one row per endpoint, fallbacks by reason, pacing."""
    calls = result.calls
    by_endpoint: dict[str, list[CallResult]] = {}
    for call in calls:
        by_endpoint.setdefault(call.endpoint.label, []).append(call)
    reasons = Counter(
        call.outcome.reason
        for call in calls
        if call.outcome.kind in (OutcomeKind.FALLBACK, OutcomeKind.FAILED)
        and call.outcome.reason is not None
    )
    failed_attempts = Counter(
        attempt.failure.reason
        for call in calls
        for attempt in call.outcome.attempts
        if attempt.failure is not None
    )
    failed_attempts.update(reason for cut in result.cut for reason in cut.failed_attempts)
    bulkhead, limiter = result.bulkhead, result.rate_limiter
    return RunSummary(
        command=command,
        target=result.target,
        planned=len(result.plan.calls),
        total=_row("all", calls),
        endpoints=tuple(_row(label, rows) for label, rows in by_endpoint.items()),
        fallbacks_by_reason=_by_reason(reasons),
        attempts=sum(len(call.outcome.attempts) for call in calls)
        + sum(len(cut.failed_attempts) for cut in result.cut),
        failed_attempts_by_reason=_by_reason(failed_attempts),
        concurrency=result.plan.concurrency,
        peak_in_flight=result.peak_in_flight,
        bulkhead_peak=None if bulkhead is None else bulkhead.peak_in_flight,
        bulkhead_peak_waiting=None if bulkhead is None else bulkhead.peak_waiting,
        limiter_waits=None if limiter is None else limiter.waited,
        elapsed=result.elapsed,
        achieved_rate=achieved_rate(len(calls), result.elapsed),
        before=result.before,
        after=result.after,
        transitions=result.transitions,
        interrupted=result.interrupted,
        seed=result.plan.seed,
        cut_short=len(result.cut),
    )
