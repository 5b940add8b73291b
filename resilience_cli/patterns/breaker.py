"""Circuit breaker: CLOSED, OPEN, HALF_OPEN and FORCED_OPEN.

Semantics (docs/patterns.md, "Circuit breaker", lists every key and default, and where
they differ from Resilience4j's):

- CLOSED admits every call. It opens on `failure_threshold` consecutive failures, **or**
  when, over the last `window_size` calls and once `minimum_calls` have been seen, the
  failure rate or the slow-call rate reaches its threshold (Resilience4j's `>=`). The
  rules are checked on every recorded outcome, successes included: a success that brings
  the window up to `minimum_calls` makes a rate computable for the first time.
- OPEN rejects every call without running it. Once `open_for` seconds have passed (`>=`),
  the next look at the breaker shows it HALF_OPEN. Nothing else starts then: the first
  admitted probe is what starts the half-open clock, so a look changes no decision.
- HALF_OPEN admits at most `half_open_max_calls` probes in all; the rest are rejected at
  once. The first failed (or slow) probe re-opens the breaker; when every probe has
  succeeded it closes. If no verdict comes within `half_open_max_wait` of the first
  admitted probe (a probe hangs), it re-opens, dated from when that wait ran out, so a
  stuck probe cannot wedge it.
- FORCED_OPEN rejects everything until `reset()`.

Each admitted call carries a permit: the breaker's epoch when it was admitted. Every
transition and every `reset()` starts a new epoch, so a result that arrives late from an
earlier state (a probe that outlived its half-open period) is ignored instead of deciding
for the new one. `record()` applies the transitions that time has made due before it
counts, so a probe that answers after `half_open_max_wait` cannot close the breaker.

The decisions themselves (`trip_reason`, `open_remaining`, `elapsed_since`) are pure
functions of numbers, tested by table.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from resilience_cli.errors import CircuitOpenError, ConfigError, SnapshotError
from resilience_cli.limits import MAX_SECONDS, MAX_STORED_COUNT
from resilience_cli.patterns.events import BreakerTransitioned

if TYPE_CHECKING:
    from collections.abc import Mapping

    from resilience_cli.clock import Clock
    from resilience_cli.patterns.events import EventSink

SNAPSHOT_FORMAT: Final = 1
RECENT_TRANSITIONS: Final = 20

# The wall times a snapshot may hold: 1970-01-01 to 9999-01-01, UTC.
_EARLIEST_TIME: Final = 0.0
_LATEST_TIME: Final = 253_370_764_800.0
# One character per call in a persisted window, oldest first.
_OK, _FAILED, _SLOW = 0, 1, 2
_WINDOW_CHARS: Final = ".xsX"  # ok, failed, slow, slow and failed


class BreakerState(StrEnum):
    """The states users see, in `resilience state` and in the state file."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"
    FORCED_OPEN = "forced_open"


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    """How the breaker trips and recovers. `None` switches a trip policy off."""

    failure_threshold: int | None = 5
    failure_rate_threshold: float | None = 0.5
    window_size: int = 20
    minimum_calls: int = 10
    slow_call_duration: float | None = None
    slow_call_rate_threshold: float = 1.0
    open_for: float = 30.0
    half_open_max_calls: int = 3
    half_open_max_wait: float | None = 60.0

    def __post_init__(self) -> None:
        if self.failure_threshold is not None and self.failure_threshold < 1:
            raise ConfigError("breaker.failure_threshold", "must be >= 1 (or off)")
        _check_ratio("breaker.failure_rate_threshold", self.failure_rate_threshold)
        _check_ratio("breaker.slow_call_rate_threshold", self.slow_call_rate_threshold)
        if self.window_size < 1:
            raise ConfigError("breaker.window_size", f"must be >= 1, got {self.window_size}")
        if not 1 <= self.minimum_calls <= self.window_size:
            raise ConfigError(
                "breaker.minimum_calls",
                f"must be between 1 and window_size {self.window_size}, got {self.minimum_calls}",
            )
        if self.slow_call_duration is not None and not _positive(self.slow_call_duration):
            raise ConfigError("breaker.slow_call_duration", "must be > 0 seconds (or off)")
        if not (math.isfinite(self.open_for) and self.open_for >= 0):
            raise ConfigError("breaker.open_for", f"must be >= 0 seconds, got {self.open_for}")
        if self.half_open_max_calls < 1:
            raise ConfigError("breaker.half_open_max_calls", "must be >= 1")
        if self.half_open_max_wait is not None and not _positive(self.half_open_max_wait):
            raise ConfigError("breaker.half_open_max_wait", "must be > 0 seconds (or off)")


def _positive(seconds: float) -> bool:
    return math.isfinite(seconds) and seconds > 0


def _check_ratio(field: str, value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and 0 < value <= 1):
        raise ConfigError(field, f"must be in (0, 1], got {value}")


@dataclass(frozen=True, slots=True)
class WindowStats:
    """Counts over the sliding window of recent calls."""

    calls: int
    failures: int
    slow: int


@dataclass(frozen=True, slots=True)
class Transition:
    """A state change, with the wall-clock time it happened and why."""

    from_state: BreakerState
    to_state: BreakerState
    at: float
    reason: str


def trip_reason(config: BreakerConfig, consecutive_failures: int, stats: WindowStats) -> str | None:
    """Why a CLOSED breaker must open now, in numbers, or None if it stays closed."""
    threshold = config.failure_threshold
    if threshold is not None and consecutive_failures >= threshold:
        return f"{consecutive_failures} consecutive failures >= threshold {threshold}"
    return rate_reason(config, stats.calls, stats.failures, stats.slow)


def rate_reason(config: BreakerConfig, calls: int, failures: int, slow: int) -> str | None:
    """Why a window of `calls` with `failures` failed and `slow` slow calls trips a rate.

    Runs on every outcome of a window with a failure in it, so it builds no text and no
    record until a rule fires.
    """
    if calls < config.minimum_calls:
        return None
    rate_threshold = config.failure_rate_threshold
    if rate_threshold is not None:
        rate = failures / calls
        if rate >= rate_threshold:
            return f"failure rate {rate:.0%} >= {rate_threshold:.0%} {_over(config, calls)}"
    if config.slow_call_duration is not None:
        slow_rate = slow / calls
        if slow_rate >= config.slow_call_rate_threshold:
            return (
                f"slow-call rate {slow_rate:.0%} >= {config.slow_call_rate_threshold:.0%}"
                f" (calls over {config.slow_call_duration:g}s) {_over(config, calls)}"
            )
    return None


def _over(config: BreakerConfig, calls: int) -> str:
    return f"over {calls} calls, minimum {config.minimum_calls} met"


def open_remaining(opened_at: float, now: float, open_for: float) -> float:
    """Seconds until an OPEN breaker may half-open; never more than `open_for`."""
    return min(open_for, max(0.0, open_for - (now - opened_at)))


def elapsed_since(then_wall: float, now_wall: float) -> float:
    """Wall seconds since `then_wall`, read as 0 when the wall clock has gone backwards.

    Restoring "no time has passed" bounds the remaining open wait by `open_for`; trusting
    a negative difference would keep a breaker OPEN for as long as the clock was wrong.
    """
    return max(0.0, now_wall - then_wall)


class _Window:
    """A count-based ring of the last `size` outcomes, with running totals."""

    __slots__ = ("_ring", "failures", "slow")

    def __init__(self, size: int) -> None:
        self._ring: deque[int] = deque(maxlen=size)
        self.failures = 0
        self.slow = 0

    @property
    def calls(self) -> int:
        return len(self._ring)

    def add(self, flags: int) -> None:
        ring = self._ring
        if len(ring) == ring.maxlen:
            evicted = ring[0]
            self.failures -= evicted & _FAILED
            self.slow -= (evicted & _SLOW) >> 1
        ring.append(flags)
        self.failures += flags & _FAILED
        self.slow += (flags & _SLOW) >> 1

    def stats(self) -> WindowStats:
        return WindowStats(len(self._ring), self.failures, self.slow)

    def clear(self) -> None:
        self._ring.clear()
        self.failures = self.slow = 0

    def encode(self) -> str:
        return "".join(_WINDOW_CHARS[flags] for flags in self._ring)


class CircuitBreaker:
    """A circuit breaker whose time comes from a `Clock` and whose decisions become events."""

    def __init__(
        self,
        config: BreakerConfig | None = None,
        *,
        clock: Clock,
        events: EventSink | None = None,
    ) -> None:
        self.config = config or BreakerConfig()
        self._clock = clock
        self._events = events
        self._state = BreakerState.CLOSED
        self._epoch = 0
        self._consecutive_failures = 0
        self._window = _Window(self.config.window_size)
        self._opened_at: float | None = None  # monotonic
        # The wait chosen when it opened: a later run with another `open_for` keeps it.
        self._open_for = self.config.open_for
        # When the first probe of this half-open period was admitted (monotonic), or None.
        self._half_open_since: float | None = None
        self._probes_admitted = 0
        self._probes_succeeded = 0
        self._transitions: deque[Transition] = deque(maxlen=RECENT_TRANSITIONS)
        self._transition_count = 0  # in this process: marks "since" without trusting clocks

    # -- reading ---------------------------------------------------------------------------

    @property
    def state(self) -> BreakerState:
        """The current state, after any transition that time alone has made due."""
        return self._apply_time(self._clock.monotonic())

    @property
    def consecutive_failures(self) -> int:
        """Failures since the last success while CLOSED: the classic `fail_count`."""
        return self._consecutive_failures

    @property
    def window(self) -> WindowStats:
        """Counts over the sliding window."""
        return self._window.stats()

    @property
    def opened_at(self) -> float | None:
        """Wall-clock time the breaker last opened, or None while CLOSED."""
        if self._opened_at is None:
            return None
        return self._clock.wall() - (self._clock.monotonic() - self._opened_at)

    def transition_mark(self) -> int:
        """A mark to pass to `transitions_since` later."""
        return self._transition_count

    def transitions_since(self, mark: int) -> tuple[Transition, ...]:
        """The transitions made in this process since `mark` (the most recent ones kept)."""
        made = self._transition_count - mark
        return tuple(self._transitions)[-made:] if made > 0 else ()

    @property
    def transitions(self) -> tuple[Transition, ...]:
        """The most recent transitions, oldest first."""
        return tuple(self._transitions)

    def open_remaining(self) -> float | None:
        """Seconds until an OPEN breaker may half-open, or None in any other state."""
        if self.state is not BreakerState.OPEN or self._opened_at is None:
            return None
        return open_remaining(self._opened_at, self._clock.monotonic(), self._open_for)

    # -- the call path -----------------------------------------------------------------

    def acquire(self) -> int:
        """Admit a call and return its permit, or raise `CircuitOpenError`."""
        if self._state is BreakerState.CLOSED:
            return self._epoch
        now = self._clock.monotonic()
        state = self._apply_time(now)
        if state is BreakerState.CLOSED:
            return self._epoch
        if state is BreakerState.HALF_OPEN:
            if self._probes_admitted < self.config.half_open_max_calls:
                self._probes_admitted += 1
                if self._half_open_since is None:
                    self._half_open_since = now  # the first probe starts the max wait
                return self._epoch
            raise CircuitOpenError(state.value, None)
        retry_in = None
        if state is BreakerState.OPEN and self._opened_at is not None:
            retry_in = open_remaining(self._opened_at, now, self._open_for)
        raise CircuitOpenError(state.value, retry_in)

    def record(self, permit: int, duration: float, failure: str | None = None) -> None:
        """Count the result of an admitted call. `failure` names its failure, None if it won."""
        if permit != self._epoch:
            return  # admitted under an earlier state: it must not decide for this one
        slow_after = self.config.slow_call_duration
        slow = slow_after is not None and duration > slow_after
        state = self._state
        if state is BreakerState.CLOSED:
            if failure is None and not slow:
                # The common case, kept short. A fast success cannot meet the consecutive
                # rule, and over a window with no failed or slow call no rate can reach a
                # threshold (every threshold is > 0). Otherwise the rule decides, as for
                # any outcome: this success may bring the window up to minimum_calls.
                self._consecutive_failures = 0
                window = self._window
                window.add(_OK)
                if window.failures or window.slow:
                    reason = rate_reason(self.config, window.calls, window.failures, window.slow)
                    if reason is not None:
                        self._open(f"{reason}, so OPEN")
            else:
                self._record_closed(failure, slow)
        elif state is BreakerState.HALF_OPEN:
            # Time first: a probe that answers after half_open_max_wait finds it re-opened.
            self._apply_time(self._clock.monotonic())
            if permit == self._epoch:
                self._record_probe(failure, slow)

    def release(self, permit: int) -> None:
        """Give back a permit whose call ended without a result (cancelled)."""
        if (
            permit == self._epoch
            and self._state is BreakerState.HALF_OPEN
            and self._probes_admitted > self._probes_succeeded
        ):
            self._probes_admitted -= 1
            if self._probes_admitted == 0:
                # Every probe let in came back unrun: none is outstanding and none has
                # answered, so the next one starts the half-open clock afresh.
                self._half_open_since = None

    def _record_closed(self, failure: str | None, slow: bool) -> None:
        self._window.add((_FAILED if failure is not None else _OK) | (_SLOW if slow else _OK))
        if failure is None:
            self._consecutive_failures = 0
        else:
            # Stops at the bound the state file accepts: a count one past it would make the
            # file that holds it unreadable, and no threshold is that high anyway.
            self._consecutive_failures = min(self._consecutive_failures + 1, MAX_STORED_COUNT)
        self._trip_if_due()

    def _trip_if_due(self) -> None:
        reason = trip_reason(self.config, self._consecutive_failures, self._window.stats())
        if reason is not None:
            self._open(f"{reason}, so OPEN")

    def _record_probe(self, failure: str | None, slow: bool) -> None:
        if failure is not None:
            self._open(f"half-open probe failed ({failure}), so OPEN")
        elif slow:
            self._open(f"half-open probe slower than {self.config.slow_call_duration:g}s, so OPEN")
        else:
            self._probes_succeeded += 1
            wanted = self.config.half_open_max_calls
            if self._probes_succeeded >= wanted:
                self._transition(
                    BreakerState.CLOSED,
                    f"{self._probes_succeeded} of {wanted} half-open probes succeeded, so CLOSED",
                )
                self._consecutive_failures = 0
                self._window.clear()
                self._opened_at = None

    # -- operator controls -------------------------------------------------------------

    def force_open(self, reason: str = "forced open by the operator") -> None:
        """Reject every call until `reset()`."""
        self._opened_at = self._clock.monotonic()
        self._transition(BreakerState.FORCED_OPEN, reason)

    def reset(self, reason: str = "reset by the operator") -> None:
        """Back to a fresh CLOSED breaker: counters and window cleared, history kept.

        Always a new epoch: a call admitted before the reset cannot land in the cleared
        window. Resetting a CLOSED breaker is not a transition, so it emits nothing.
        """
        self._consecutive_failures = 0
        self._window.clear()
        self._opened_at = None
        if self._state is BreakerState.CLOSED:
            self._epoch += 1
        else:
            self._transition(BreakerState.CLOSED, reason)

    # -- transitions -----------------------------------------------------------------------

    def _apply_time(self, now: float) -> BreakerState:
        """Make the transitions that time alone has made due; return the state after them.

        A re-open by `half_open_max_wait` noticed late is dated from when the wait ran out,
        so its open wait may be over already: then the breaker goes on to HALF_OPEN too.
        """
        config = self.config
        max_wait = config.half_open_max_wait
        if (
            self._state is BreakerState.HALF_OPEN
            and max_wait is not None
            and self._half_open_since is not None
            and now - self._half_open_since >= max_wait
        ):
            self._open(
                f"half-open {max_wait:g}s since the first probe >= max {max_wait:g}s"
                f" with {self._probes_admitted - self._probes_succeeded} probe(s)"
                " outstanding, so OPEN",
                at=self._half_open_since + max_wait,
            )
        if (
            self._state is BreakerState.OPEN
            and self._opened_at is not None
            and now - self._opened_at >= self._open_for
        ):
            self._transition(
                BreakerState.HALF_OPEN,
                f"open for {self._open_for:g}s, so HALF_OPEN"
                f" with {config.half_open_max_calls} probe(s)",
            )
            self._half_open_since = None
            self._probes_admitted = self._probes_succeeded = 0
        return self._state

    def _open(self, reason: str, *, at: float | None = None) -> None:
        """Open now, or at the monotonic time `at` when the rule fired earlier than seen."""
        self._opened_at = self._clock.monotonic() if at is None else at
        self._open_for = self.config.open_for
        self._transition(BreakerState.OPEN, reason, at=at)

    def _transition(self, to_state: BreakerState, reason: str, *, at: float | None = None) -> None:
        from_state = self._state
        self._state = to_state
        self._epoch += 1
        wall = self._clock.wall() if at is None else self._wall_of(at)
        self._transitions.append(Transition(from_state, to_state, wall, reason))
        self._transition_count += 1
        if self._events is not None:
            self._events(BreakerTransitioned(from_state.value, to_state.value, reason))

    # -- persistence -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, object]:
        """The whole state as a JSON-able dict, with wall-clock ISO 8601 timestamps.

        Probes still in flight are not saved: the process that admitted them is the only
        one that could report them, so a restored breaker offers their permits again.
        """
        state = self.state  # apply due transitions first, so the file tells the truth
        return {
            "format": SNAPSHOT_FORMAT,
            "state": state.value,
            "fail_count": self._consecutive_failures,
            "window": self._window.encode(),
            "opened_at": _iso(self.opened_at),
            "open_for": self._open_for,
            # When the first probe was let in; None until then. On restore it is kept only
            # with probes counted: probes in flight are not saved, so with none counted
            # nothing is outstanding and the next probe must start the clock anew.
            "half_open_since": _iso(self._wall_of(self._half_open_since))
            if state is BreakerState.HALF_OPEN and self._half_open_since is not None
            else None,
            "probes_succeeded": self._probes_succeeded,
            "transitions": [
                {
                    "from": t.from_state.value,
                    "to": t.to_state.value,
                    "at": _iso(t.at),
                    "reason": t.reason,
                }
                for t in self._transitions
            ],
        }

    @classmethod
    def restore(
        cls,
        snapshot: Mapping[str, object],
        config: BreakerConfig | None = None,
        *,
        clock: Clock,
        events: EventSink | None = None,
    ) -> CircuitBreaker:
        """A breaker that goes on where `snapshot`'s breaker stopped.

        Raises `SnapshotError` naming the first field that is missing or wrong.
        """
        breaker = cls(config, clock=clock, events=events)
        fmt = snapshot.get("format")
        if fmt != SNAPSHOT_FORMAT:
            raise SnapshotError(f"breaker snapshot format {fmt!r} is not {SNAPSHOT_FORMAT}")
        now_mono, now_wall = clock.monotonic(), clock.wall()

        def mono_of(field: str) -> float | None:
            wall = _read_time(snapshot, field)
            return None if wall is None else now_mono - elapsed_since(wall, now_wall)

        breaker._state = _read_state(snapshot.get("state"), "state")
        breaker._consecutive_failures = _read_count(snapshot, "fail_count")
        for flags in _read_window(snapshot):
            breaker._window.add(flags)
        breaker._opened_at = mono_of("opened_at")
        breaker._open_for = _read_seconds(snapshot, "open_for", breaker.config.open_for)
        if breaker._state in (BreakerState.OPEN, BreakerState.FORCED_OPEN):
            if breaker._opened_at is None:
                raise SnapshotError(f"breaker snapshot: state {breaker._state} needs opened_at")
        elif breaker._state is BreakerState.HALF_OPEN:
            since = mono_of("half_open_since")
            succeeded = _read_count(snapshot, "probes_succeeded")
            breaker._probes_succeeded = breaker._probes_admitted = succeeded
            breaker._half_open_since = since if succeeded > 0 else None
        breaker._transitions.extend(_read_transitions(snapshot.get("transitions", [])))
        wanted = breaker.config.half_open_max_calls
        if breaker._state is BreakerState.HALF_OPEN and breaker._probes_succeeded >= wanted:
            # Saved under a config that wanted more probes than this one does.
            breaker._transition(
                BreakerState.CLOSED,
                f"{breaker._probes_succeeded} half-open probes had succeeded, {wanted} wanted,"
                " so CLOSED",
            )
            breaker._consecutive_failures = 0
            breaker._probes_admitted = breaker._probes_succeeded = 0
            breaker._window.clear()
            breaker._opened_at = None
        return breaker

    def _wall_of(self, monotonic: float) -> float:
        return self._clock.wall() - (self._clock.monotonic() - monotonic)


def _iso(wall: float | None) -> str | None:
    return None if wall is None else datetime.fromtimestamp(wall, UTC).isoformat()


def _read_time(data: Mapping[str, object], field: str) -> float | None:
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SnapshotError(f"breaker snapshot: {field} must be an ISO 8601 time or null")
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        wall = parsed.timestamp()
        datetime.fromtimestamp(wall, UTC)  # it must also be writable back, and shown
    except (ValueError, OverflowError, OSError):
        wall = math.nan
    # Within bounds, so that the arithmetic of restoring it cannot step past year 1 or 9999.
    if not _EARLIEST_TIME <= wall <= _LATEST_TIME:
        raise SnapshotError(
            f"breaker snapshot: {field} {value[:40]!r} is not a usable ISO 8601 time"
            " (from 1970 to 9999)"
        )
    return wall


def _read_seconds(data: Mapping[str, object], field: str, default: float) -> float:
    value = data.get(field, default)
    # Compared before float(): an integer of 400 digits has none (OverflowError).
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not 0 <= value <= MAX_SECONDS
    ):
        raise SnapshotError(
            f"breaker snapshot: {field} must be seconds from 0 to {MAX_SECONDS:.0f},"
            f" got {_shown(value)}"
        )
    return float(value)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"


def _read_state(value: object, field: str) -> BreakerState:
    try:
        return BreakerState(str(value))
    except ValueError:
        raise SnapshotError(f"breaker snapshot: {field} {value!r} is not a state") from None


def _read_count(data: Mapping[str, object], field: str) -> int:
    value = data.get(field, 0)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_STORED_COUNT:
        raise SnapshotError(
            f"breaker snapshot: {field} must be a count from 0 to 2**63 - 1, got {_shown(value)}"
        )
    return value


def _read_window(data: Mapping[str, object]) -> list[int]:
    window = data.get("window", "")
    if not isinstance(window, str) or any(char not in _WINDOW_CHARS for char in window):
        raise SnapshotError(f"breaker snapshot: window must use only {_WINDOW_CHARS!r}")
    return [_WINDOW_CHARS.index(char) for char in window]


def _read_transitions(value: object) -> list[Transition]:
    if not isinstance(value, list):
        raise SnapshotError("breaker snapshot: transitions must be a list")
    transitions = []
    for index, item in enumerate(value):
        field = f"transitions[{index}]"
        if not isinstance(item, dict):
            raise SnapshotError(f"breaker snapshot: {field} must be an object")
        at = _read_time(item, "at")
        reason = item.get("reason", "")
        if at is None or not isinstance(reason, str):
            raise SnapshotError(f"breaker snapshot: {field} needs 'at' and a text 'reason'")
        transitions.append(
            Transition(
                _read_state(item.get("from"), f"{field}.from"),
                _read_state(item.get("to"), f"{field}.to"),
                at,
                reason,
            )
        )
    return transitions[-RECENT_TRANSITIONS:]
