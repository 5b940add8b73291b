"""A comparison: every preset replayed against one trace, and the moments that matter.

The trace says when the upstream started failing (its first failed answer) and when it
healed (its first good answer after the last failed one); each preset's breaker is then
timed from those two moments, so every column is measured from the same instants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from resilience_cli.compare.simulate import Replayed, Stage, replay
from resilience_cli.patterns import BreakerState

if TYPE_CHECKING:
    from resilience_cli.compare.presets import Preset
    from resilience_cli.trace import Trace


@dataclass(frozen=True, slots=True)
class PresetResult:
    """One preset's replay, with its breaker timed from the trace's two moments."""

    name: str
    source: str
    replayed: Replayed
    time_to_open: float | None  # seconds from the first failure to the first OPEN after it
    time_to_close: float | None  # seconds from healing to CLOSED; 0: it was closed then


@dataclass(frozen=True, slots=True)
class Comparison:
    """Every preset against one trace."""

    source: str
    calls: int
    answers: int
    trace_duration: float  # the trace's own span: from its start to its last event
    duration: float  # the timelines' span: the trace, or the longest replay when longer
    failing_since: float | None
    healed_at: float | None
    seed: int
    truncated: bool
    results: tuple[PresetResult, ...]


def failing_and_healed(trace: Trace) -> tuple[float | None, float | None]:
    """When the upstream first failed, and when it first answered well after its last failure."""
    failing_since = last_failure = None
    for index, exchange in enumerate(trace.exchanges):
        if exchange.answer.failed:
            if failing_since is None:
                failing_since = exchange.at
            last_failure = index
    if last_failure is None:
        return None, None
    healed = next((e.at for e in trace.exchanges[last_failure + 1 :] if not e.answer.failed), None)
    return failing_since, healed


def compare(trace: Trace, presets: tuple[Preset, ...], *, seed: int = 0) -> Comparison:
    """Replay `trace` through each preset, each with the same seed."""
    stage = Stage(trace)
    failing_since, healed_at = failing_and_healed(trace)
    results = []
    for preset in presets:
        replayed = replay(stage, preset.policies, seed=seed)
        results.append(
            PresetResult(
                preset.name,
                preset.source,
                replayed,
                _time_to_open(replayed, failing_since),
                _time_to_close(replayed, healed_at),
            )
        )
    return Comparison(
        source=trace.source,
        calls=len(trace.arrivals),
        answers=len(trace.exchanges),
        trace_duration=trace.duration,
        duration=max(trace.duration, *(r.replayed.duration for r in results)) if results else 0.0,
        failing_since=failing_since,
        healed_at=healed_at,
        seed=seed,
        truncated=trace.truncated,
        results=tuple(results),
    )


def _time_to_open(replayed: Replayed, failing_since: float | None) -> float | None:
    if failing_since is None:
        return None
    return next(
        (
            at - failing_since
            for at, state in replayed.transitions
            if state is BreakerState.OPEN and at >= failing_since
        ),
        None,
    )


def _time_to_close(replayed: Replayed, healed_at: float | None) -> float | None:
    if healed_at is None:
        return None
    if state_at(replayed.transitions, healed_at) is BreakerState.CLOSED:
        return 0.0
    return next(
        (
            at - healed_at
            for at, state in replayed.transitions
            if state is BreakerState.CLOSED and at > healed_at
        ),
        None,
    )


def state_at(transitions: tuple[tuple[float, BreakerState], ...], at: float) -> BreakerState:
    """The breaker's state at `at`, from its transitions (CLOSED before the first)."""
    state = BreakerState.CLOSED
    for when, to_state in transitions:
        if when > at:
            break
        state = to_state
    return state
