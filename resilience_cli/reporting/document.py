"""The `--json` documents: one stable, versioned object per command on stdout."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from resilience_cli.measure import EndpointRow, Latency, RunSummary
    from resilience_cli.patterns import Transition
    from resilience_cli.state.breaker import BreakerView

RUN_SCHEMA: Final = "resilience-cli/run"
STATE_SCHEMA: Final = "resilience-cli/state"
DOCUMENT_VERSION: Final = 1


def iso(wall: float | None) -> str | None:
    """A wall-clock time as ISO 8601 UTC to the millisecond, or None.

    The one format for every time we show (the panel, the transitions, `logs`, the JSON
    documents), so one instant reads the same everywhere; the microseconds were noise
    that made two reads of the same opening look like three different times.
    """
    if wall is None:
        return None
    return datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds")


def _ms(value: float) -> float:
    return round(value, 3)


def _latency(latency: Latency) -> dict[str, float]:
    return {
        "p50": _ms(latency.p50),
        "p95": _ms(latency.p95),
        "p99": _ms(latency.p99),
        "max": _ms(latency.max),
    }


def _row(row: EndpointRow) -> dict[str, object]:
    return {
        "calls": row.calls,
        "succeeded": row.succeeded,
        "recovered": row.recovered,
        "fallbacks": row.fallbacks,
        "failed": row.failed,
        "retries": row.retries,
        "latency_ms": _latency(row.latency),
    }


def _transition(transition: Transition) -> dict[str, object]:
    return {
        "from": transition.from_state.value,
        "to": transition.to_state.value,
        "at": iso(transition.at),
        "reason": transition.reason,
    }


def breaker_document(view: BreakerView) -> dict[str, object]:
    """The breaker at one moment: `{state, fail_count, opened_at, open_remaining_s}`."""
    return {
        "state": view.state.value,
        "fail_count": view.fail_count,
        "opened_at": iso(view.opened_at),
        "open_remaining_s": None if view.open_remaining is None else round(view.open_remaining, 3),
    }


def summary_document(summary: RunSummary) -> dict[str, object]:
    """The run summary as JSON-able data, with a schema name and version."""
    total = _row(summary.total)
    total["fallbacks"] = {reason.value: count for reason, count in summary.fallbacks_by_reason}
    return {
        "schema": RUN_SCHEMA,
        "version": DOCUMENT_VERSION,
        "command": summary.command,
        "target": summary.target,
        "seed": summary.seed,
        "interrupted": summary.interrupted,
        "planned": summary.planned,
        "cut_short": summary.cut_short,
        **total,
        "fallback_total": summary.total.fallbacks + summary.total.failed,
        "attempts": {
            "total": summary.attempts,
            "failed": {reason.value: n for reason, n in summary.failed_attempts_by_reason},
        },
        "endpoints": {row.label: _row(row) for row in summary.endpoints},
        "failure_rules": list(summary.failure_rules),
        "concurrency": {
            "requested": summary.concurrency,
            "peak_in_flight": summary.peak_in_flight,
            "bulkhead_peak": summary.bulkhead_peak,
            "bulkhead_peak_waiting": summary.bulkhead_peak_waiting,
        },
        "rate": {
            "achieved_per_s": None
            if summary.achieved_rate is None
            else round(summary.achieved_rate, 3),
            "limiter_waits": summary.limiter_waits,
        },
        "elapsed_s": round(summary.elapsed, 6),
        "breaker": {
            "before": breaker_document(summary.before),
            "after": breaker_document(summary.after),
            "transitions": [_transition(t) for t in summary.transitions],
        },
    }


def state_document(
    view: BreakerView, transitions: tuple[Transition, ...], location: str
) -> dict[str, object]:
    """`resilience state --json`: the breaker now, its recent transitions, and its file."""
    return {
        "schema": STATE_SCHEMA,
        "version": DOCUMENT_VERSION,
        **breaker_document(view),
        "transitions": [_transition(t) for t in transitions],
        "state_file": location,
    }
