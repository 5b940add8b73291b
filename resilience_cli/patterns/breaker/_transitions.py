"""The breaker's transitions: steps over a small record, the same in memory and on Redis.

A step takes the `BreakerRecord` (state, epoch, counters, the window's totals, times), the
configuration, the time `now` and its input; it updates the record and appends the state
changes it made, each with its time and reason, to `changes`. It reads no clock, does no
I/O and emits nothing, so it is a pure function of its arguments (the record is its
state, passed in and handed back changed): `CircuitBreaker` keeps a record and applies
these steps to it, turning the changes into its history and its events; the Redis store
runs the same steps, one atomic Lua script per step (`state/redis_script.lua`, written
line for line after this module), and a differential test keeps the two identical.

Times are seconds in one time base, whichever the caller uses: the monotonic clock in
memory, the server's `TIME` on Redis. Every duration is compared as `now - then >= wait`,
in that order on both sides, so that the two compute the same floating-point numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from resilience_cli.limits import MAX_STORED_COUNT
from resilience_cli.patterns.breaker._rules import open_remaining, rate_reason, trip_reason
from resilience_cli.patterns.breaker._values import (
    CALL_FAILED,
    CALL_OK,
    CALL_SLOW,
    BreakerState,
    WindowStats,
)

if TYPE_CHECKING:
    from resilience_cli.patterns.breaker._values import BreakerConfig

    # Only a type: a Protocol class costs start-up time, and `resilience state` loads this.
    class Window(Protocol):
        """The sliding window as the steps see it: running totals, a way to add and to clear."""

        @property
        def calls(self) -> int:
            """Calls in the window."""
            ...

        @property
        def failures(self) -> int:
            """Failed calls in the window."""
            ...

        @property
        def slow(self) -> int:
            """Slow calls in the window."""
            ...

        def add(self, flags: int, now: float) -> None:
            """Add a call's mark at `now`, evicting what falls out of the window."""

        def clear(self) -> None:
            """Forget every call."""


_CLOSED = BreakerState.CLOSED
_OPEN = BreakerState.OPEN
_HALF_OPEN = BreakerState.HALF_OPEN
_FORCED_OPEN = BreakerState.FORCED_OPEN


class BreakerRecord:
    """What the rules read and write: the breaker's whole state but its history.

    Mutable on purpose: it is the state the steps advance, held by one breaker (or, on
    Redis, read from its hash and written back by the same script).
    """

    __slots__ = (
        "consecutive_failures",
        "epoch",
        "half_open_since",
        "open_for",
        "opened_at",
        "probes_admitted",
        "probes_succeeded",
        "state",
        "window",
    )

    def __init__(self, window: Window, open_for: float, epoch: int = 0) -> None:
        self.state = _CLOSED
        # Every transition and every reset starts a new epoch; a permit is the epoch it
        # was admitted in, so a result from an earlier state is ignored.
        self.epoch = epoch
        self.consecutive_failures = 0
        self.window = window
        self.opened_at: float | None = None
        # The wait chosen when it opened: a later run with another `open_for` keeps it.
        self.open_for = open_for
        # When the first probe of this half-open period was admitted, or None.
        self.half_open_since: float | None = None
        self.probes_admitted = 0
        self.probes_succeeded = 0

    def window_stats(self) -> WindowStats:
        """The window's totals."""
        window = self.window
        return WindowStats(window.calls, window.failures, window.slow)


# Change and Refusal are values, but plain slotted classes rather than frozen dataclasses:
# making a dataclass costs about a millisecond of start-up, and `resilience state`, whose
# start-up has a budget, loads this module.


class Change:
    """A state change a step made: from, to, when (in the step's time base) and why."""

    __slots__ = ("at", "from_state", "reason", "to_state")

    def __init__(
        self, from_state: BreakerState, to_state: BreakerState, at: float, reason: str
    ) -> None:
        self.from_state = from_state
        self.to_state = to_state
        self.at = at
        self.reason = reason


class Refusal:
    """Why `admit` refused a call: the state it saw, and the seconds until half-open."""

    __slots__ = ("retry_in", "state")

    def __init__(self, state: BreakerState, retry_in: float | None) -> None:
        self.state = state
        self.retry_in = retry_in


def make_due(
    record: BreakerRecord, config: BreakerConfig, now: float, changes: list[Change]
) -> None:
    """Make the transitions that time alone has made due by `now`.

    A re-open by `half_open_max_wait` noticed late is dated from when the wait ran out,
    so its open wait may be over already: then the breaker goes on to HALF_OPEN too.
    """
    max_wait = config.half_open_max_wait
    since = record.half_open_since
    if (
        record.state is _HALF_OPEN
        and max_wait is not None
        and since is not None
        and now - since >= max_wait
    ):
        _open(
            record,
            config,
            since + max_wait,
            f"half-open {max_wait:g}s since the first probe >= max {max_wait:g}s"
            f" with {record.probes_admitted - record.probes_succeeded} probe(s)"
            " outstanding, so OPEN",
            changes,
        )
    opened_at = record.opened_at
    if record.state is _OPEN and opened_at is not None and now - opened_at >= record.open_for:
        _move(
            record,
            _HALF_OPEN,
            now,
            f"open for {record.open_for:g}s, so HALF_OPEN"
            f" with {config.half_open_max_calls} probe(s)",
            changes,
        )
        record.half_open_since = None
        record.probes_admitted = record.probes_succeeded = 0


def admit(
    record: BreakerRecord, config: BreakerConfig, now: float, changes: list[Change]
) -> Refusal | None:
    """Admit a call at `now` (its permit is then `record.epoch`), or say why not."""
    if record.state is not _CLOSED:
        make_due(record, config, now, changes)
    state = record.state
    if state is _CLOSED:
        return None
    if state is _HALF_OPEN:
        if record.probes_admitted < config.half_open_max_calls:
            record.probes_admitted += 1
            if record.half_open_since is None:
                record.half_open_since = now  # the first probe starts the max wait
            return None
        return Refusal(state, None)
    opened_at = record.opened_at
    if state is _OPEN and opened_at is not None:
        return Refusal(state, open_remaining(opened_at, now, record.open_for))
    return Refusal(state, None)


def count(  # noqa: PLR0913, PLR0917 - the step's inputs, each one number or word
    record: BreakerRecord,
    config: BreakerConfig,
    now: float,
    permit: int,
    failure: str | None,
    slow: bool,
    changes: list[Change],
) -> None:
    """Count the result of a call admitted with `permit`; `failure` names a failure."""
    if permit != record.epoch:
        return  # admitted under an earlier state: it must not decide for this one
    state = record.state
    if state is _CLOSED:
        record.window.add(
            (CALL_FAILED if failure is not None else CALL_OK) | (CALL_SLOW if slow else CALL_OK),
            now,
        )
        if failure is None:
            record.consecutive_failures = 0
            if not slow:
                # A fast success cannot meet the consecutive rule, and over a window with
                # no failed or slow call no rate can reach a threshold (every threshold is
                # > 0). Otherwise the rule decides: this success may bring the window up
                # to minimum_calls.
                window = record.window
                if window.failures or window.slow:
                    reason = rate_reason(config, window.calls, window.failures, window.slow)
                    if reason is not None:
                        _open(record, config, now, f"{reason}, so OPEN", changes)
                return
        else:
            # Stops at the bound the state file accepts: a count one past it would make the
            # file that holds it unreadable, and no threshold is that high anyway.
            record.consecutive_failures = min(record.consecutive_failures + 1, MAX_STORED_COUNT)
        reason = trip_reason(config, record.consecutive_failures, record.window_stats())
        if reason is not None:
            _open(record, config, now, f"{reason}, so OPEN", changes)
    elif state is _HALF_OPEN:
        # Time first: a probe that answers after half_open_max_wait finds it re-opened.
        make_due(record, config, now, changes)
        if permit == record.epoch:
            _count_probe(record, config, now, failure, slow, changes)


def _count_probe(  # noqa: PLR0913, PLR0917 - the step's inputs
    record: BreakerRecord,
    config: BreakerConfig,
    now: float,
    failure: str | None,
    slow: bool,
    changes: list[Change],
) -> None:
    if failure is not None:
        _open(record, config, now, f"half-open probe failed ({failure}), so OPEN", changes)
    elif slow:
        reason = f"half-open probe slower than {config.slow_call_duration:g}s, so OPEN"
        _open(record, config, now, reason, changes)
    else:
        record.probes_succeeded += 1
        wanted = config.half_open_max_calls
        if record.probes_succeeded >= wanted:
            reason = f"{record.probes_succeeded} of {wanted} half-open probes succeeded, so CLOSED"
            _move(record, _CLOSED, now, reason, changes)
            record.consecutive_failures = 0
            record.window.clear()
            record.opened_at = None


def give_back(record: BreakerRecord, permit: int) -> None:
    """Take back a permit whose call ended without a result (cancelled, never sent)."""
    if (
        permit == record.epoch
        and record.state is _HALF_OPEN
        and record.probes_admitted > record.probes_succeeded
    ):
        record.probes_admitted -= 1
        if record.probes_admitted == 0:
            # Every probe let in came back unrun: none is outstanding and none has
            # answered, so the next one starts the half-open clock afresh.
            record.half_open_since = None


def force_open(record: BreakerRecord, now: float, reason: str, changes: list[Change]) -> None:
    """Reject every call until a reset."""
    record.opened_at = now
    _move(record, _FORCED_OPEN, now, reason, changes)


def reset(record: BreakerRecord, now: float, reason: str, changes: list[Change]) -> None:
    """Back to a fresh CLOSED breaker: counters and window cleared.

    Always a new epoch: a call admitted before the reset cannot land in the cleared
    window. Resetting a CLOSED breaker is not a transition, so it adds no change.
    """
    record.consecutive_failures = 0
    record.window.clear()
    record.opened_at = None
    if record.state is _CLOSED:
        record.epoch += 1
    else:
        _move(record, _CLOSED, now, reason, changes)


def _open(
    record: BreakerRecord, config: BreakerConfig, at: float, reason: str, changes: list[Change]
) -> None:
    record.opened_at = at
    record.open_for = config.open_for
    _move(record, _OPEN, at, reason, changes)


def _move(
    record: BreakerRecord, to_state: BreakerState, at: float, reason: str, changes: list[Change]
) -> None:
    changes.append(Change(record.state, to_state, at, reason))
    record.state = to_state
    record.epoch += 1
