"""`CircuitBreaker`: the state machine that applies the rules (see the package's notes)."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from resilience_cli.errors import CircuitOpenError
from resilience_cli.limits import MAX_STORED_COUNT
from resilience_cli.patterns.breaker._rules import (
    elapsed_since,
    open_remaining,
    rate_reason,
    trip_reason,
)
from resilience_cli.patterns.breaker._values import (
    CALL_FAILED,
    CALL_OK,
    CALL_SLOW,
    RECENT_TRANSITIONS,
    BreakerConfig,
    BreakerState,
    Transition,
    WindowStats,
)
from resilience_cli.patterns.events import BreakerTransitioned

if TYPE_CHECKING:
    from resilience_cli.clock import Clock
    from resilience_cli.patterns.breaker._values import SavedBreaker
    from resilience_cli.patterns.events import EventSink


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
            self.failures -= evicted & CALL_FAILED
            self.slow -= (evicted & CALL_SLOW) >> 1
        ring.append(flags)
        self.failures += flags & CALL_FAILED
        self.slow += (flags & CALL_SLOW) >> 1

    def stats(self) -> WindowStats:
        return WindowStats(len(self._ring), self.failures, self.slow)

    def clear(self) -> None:
        self._ring.clear()
        self.failures = self.slow = 0

    def marks(self) -> tuple[int, ...]:
        return tuple(self._ring)


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

    # -- what a memento keeps (read `state` first: it makes the transitions due) ---------

    @property
    def window_marks(self) -> tuple[int, ...]:
        """The sliding window's calls, oldest first: `CALL_FAILED | CALL_SLOW` bits."""
        return self._window.marks()

    @property
    def open_wait(self) -> float:
        """The open wait chosen when it last opened: a later `open_for` does not change it."""
        return self._open_for

    @property
    def half_open_since(self) -> float | None:
        """Wall-clock time the first probe of this half-open period was let in, or None."""
        if self._state is not BreakerState.HALF_OPEN or self._half_open_since is None:
            return None
        return self._wall_of(self._half_open_since)

    @property
    def probes_succeeded(self) -> int:
        """Probes that succeeded in the last half-open period."""
        return self._probes_succeeded

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
                window.add(CALL_OK)
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
        self._window.add(
            (CALL_FAILED if failure is not None else CALL_OK) | (CALL_SLOW if slow else CALL_OK)
        )
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

    # -- restoring -----------------------------------------------------------------------

    @classmethod
    def from_memento(
        cls,
        saved: SavedBreaker,
        config: BreakerConfig | None = None,
        *,
        clock: Clock,
        events: EventSink | None = None,
    ) -> CircuitBreaker:
        """A breaker that goes on where the saved one stopped, in this process's time.

        Wall times become monotonic ones through `elapsed_since`, so a wall clock that went
        backwards reads as no time passed. Probes in flight were not saved: their permits
        are offered again, and the half-open clock is kept only if some probe had counted.
        """
        breaker = cls(config, clock=clock, events=events)
        now_mono, now_wall = clock.monotonic(), clock.wall()

        def monotonic_of(wall: float | None) -> float | None:
            return None if wall is None else now_mono - elapsed_since(wall, now_wall)

        breaker._state = saved.state
        breaker._consecutive_failures = saved.fail_count
        for mark in saved.window:
            breaker._window.add(mark)
        breaker._opened_at = monotonic_of(saved.opened_at)
        if saved.open_for is not None:
            breaker._open_for = saved.open_for
        if saved.state is BreakerState.HALF_OPEN:
            succeeded = saved.probes_succeeded
            breaker._probes_succeeded = breaker._probes_admitted = succeeded
            breaker._half_open_since = monotonic_of(saved.half_open_since) if succeeded else None
        breaker._transitions.extend(saved.transitions)
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
