"""A run's counters, fed one outcome at a time: calls by kind, retries, attempts, reasons.

The run hands each finished call to `RunTally.add` (and each call an interruption cut
short to `add_cut`) and keeps nothing else of it. Everything here is a counter of fixed
size, one set per endpoint, apart from each endpoint's `Latencies` (see there).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, TypeVar

from resilience_cli.measure.latencies import Latencies
from resilience_cli.patterns.outcome import OutcomeKind, Reason

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping

    from resilience_cli.patterns.outcome import CallOutcome

T = TypeVar("T")

# A call that ended in one of these fell back (or failed) for its reason.
_GAVE_UP = (OutcomeKind.FALLBACK, OutcomeKind.FAILED)


class EndpointTally:
    """The finished calls to one endpoint (or, summed, to all): counts and durations."""

    __slots__ = ("calls", "failed", "fallbacks", "latencies", "recovered", "retries", "succeeded")

    def __init__(self) -> None:
        self.calls = 0
        self.succeeded = 0
        self.recovered = 0
        self.fallbacks = 0
        self.failed = 0
        self.retries = 0
        self.latencies = Latencies()

    def add(self, outcome: CallOutcome[T], latency: float | None = None) -> None:
        """Count one finished call; `latency` (else its own duration) goes to `latencies`."""
        self.calls += 1
        kind = outcome.kind
        if kind is OutcomeKind.SUCCESS:
            self.succeeded += 1
        elif kind is OutcomeKind.RECOVERED:
            self.recovered += 1
        elif kind is OutcomeKind.FALLBACK:
            self.fallbacks += 1
        else:
            self.failed += 1
        self.retries += outcome.retries
        self.latencies.add(outcome.duration if latency is None else latency)

    @classmethod
    def combined(cls, parts: Collection[EndpointTally]) -> EndpointTally:
        """The calls of every part together: the `all` row of a run's endpoints."""
        whole = cls()
        whole.calls = sum(part.calls for part in parts)
        whole.succeeded = sum(part.succeeded for part in parts)
        whole.recovered = sum(part.recovered for part in parts)
        whole.fallbacks = sum(part.fallbacks for part in parts)
        whole.failed = sum(part.failed for part in parts)
        whole.retries = sum(part.retries for part in parts)
        whole.latencies = Latencies.combined(part.latencies for part in parts)
        return whole


class RunTally:
    """What a run's calls came to so far, one row per endpoint in the order first called.

    Attempts count every attempt that ran, the first included, and the failed attempts of
    calls an interruption cut short too: the breaker counted those.
    """

    __slots__ = ("_endpoints", "_failed_attempts", "_fallbacks", "_total", "attempts", "cut_short")

    def __init__(self) -> None:
        self._endpoints: dict[str, EndpointTally] = {}
        self._fallbacks: Counter[Reason] = Counter()
        self._failed_attempts: Counter[Reason] = Counter()
        self._total: EndpointTally | None = None
        self.attempts = 0
        self.cut_short = 0

    def add(self, label: str, outcome: CallOutcome[T], latency: float | None = None) -> None:
        """Count one finished call to the endpoint `label`.

        `latency` is what its latency is taken to be, when not its own duration: a stress
        run counts from the arrival's scheduled time, so that a late start counts too.
        """
        row = self._endpoints.get(label)
        if row is None:
            row = self._endpoints[label] = EndpointTally()
        row.add(outcome, latency)
        if outcome.kind in _GAVE_UP and outcome.reason is not None:
            self._fallbacks[outcome.reason] += 1
        self.attempts += len(outcome.attempts)
        for attempt in outcome.attempts:
            if attempt.failure is not None:
                self._failed_attempts[attempt.failure.reason] += 1
        self._total = None

    def add_cut(self, failed_attempts: Iterable[Reason]) -> None:
        """Count a call an interruption cut short, with the attempts of it that had failed.

        Its attempts that finished all failed (a success would have ended the call).
        """
        self.cut_short += 1
        for reason in failed_attempts:
            self.attempts += 1
            self._failed_attempts[reason] += 1

    @property
    def calls(self) -> int:
        """Finished calls (calls cut short are not among them)."""
        return sum(row.calls for row in self._endpoints.values())

    @property
    def endpoints(self) -> Mapping[str, EndpointTally]:
        """One tally per endpoint label, in the order each was first called."""
        return self._endpoints

    def total(self) -> EndpointTally:
        """Every endpoint's calls summed: the `all` row."""
        if self._total is None:
            self._total = EndpointTally.combined(self._endpoints.values())
        return self._total

    @property
    def fallbacks_by_reason(self) -> tuple[tuple[Reason, int], ...]:
        """Calls that fell back (or failed) by reason, in `Reason` order, zeros left out."""
        return _by_reason(self._fallbacks)

    @property
    def failed_attempts_by_reason(self) -> tuple[tuple[Reason, int], ...]:
        """Failed attempts by reason, in `Reason` order, zeros left out."""
        return _by_reason(self._failed_attempts)


def _by_reason(counts: Counter[Reason]) -> tuple[tuple[Reason, int], ...]:
    return tuple((reason, counts[reason]) for reason in Reason if counts[reason])
