"""`CircuitBreaker`: the state machine that steps its record (see the package's notes)."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from resilience_cli.errors import CircuitOpenError
from resilience_cli.patterns.breaker._rules import elapsed_since, open_remaining
from resilience_cli.patterns.breaker._transitions import (
    BreakerRecord,
    Change,
    admit,
    count,
    force_open,
    give_back,
    make_due,
    reset,
)
from resilience_cli.patterns.breaker._values import (
    CALL_OK,
    RECENT_TRANSITIONS,
    BreakerConfig,
    BreakerState,
    Transition,
    WindowStats,
)
from resilience_cli.patterns.breaker._windows import CountWindow, TimeWindow
from resilience_cli.patterns.events import BreakerTransitioned

if TYPE_CHECKING:
    from resilience_cli.clock import Clock
    from resilience_cli.patterns.breaker._values import SavedBreaker
    from resilience_cli.patterns.events import EventSink


class CircuitBreaker:
    """A circuit breaker whose time comes from a `Clock` and whose decisions become events.

    Its state is a `BreakerRecord`, advanced by the steps of `_transitions.py`; the two
    commonest steps (admitting a call while CLOSED, counting a fast success into a window
    without failures) are written out here too, because the pipeline's overhead is mostly
    theirs. They do what the steps do, and the unit and differential tests hold both.
    """

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
        duration = self.config.window_duration
        self._timed = duration is not None
        self._window: CountWindow | TimeWindow = (
            CountWindow(self.config.window_size) if duration is None else TimeWindow(int(duration))
        )
        self._record = BreakerRecord(self._window, self.config.open_for)
        self._transitions: deque[Transition] = deque(maxlen=RECENT_TRANSITIONS)
        self._transition_count = 0  # in this process: marks "since" without trusting clocks

    # -- reading ---------------------------------------------------------------------------

    @property
    def state(self) -> BreakerState:
        """The current state, after any transition that time alone has made due."""
        record = self._record
        if record.state is not BreakerState.CLOSED:
            changes: list[Change] = []
            make_due(record, self.config, self._clock.monotonic(), changes)
            self._apply(changes)
        return record.state

    @property
    def consecutive_failures(self) -> int:
        """Failures since the last success while CLOSED: the classic `fail_count`."""
        return self._record.consecutive_failures

    @property
    def window(self) -> WindowStats:
        """Counts over the sliding window."""
        return self._window.stats()

    @property
    def opened_at(self) -> float | None:
        """Wall-clock time the breaker last opened, or None while CLOSED."""
        opened_at = self._record.opened_at
        return None if opened_at is None else self._wall_of(opened_at)

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
        record = self._record
        if self.state is not BreakerState.OPEN or record.opened_at is None:
            return None
        return open_remaining(record.opened_at, self._clock.monotonic(), record.open_for)

    # -- what a memento keeps (read `state` first: it makes the transitions due) ---------

    @property
    def window_marks(self) -> tuple[int, ...]:
        """The sliding window's calls, oldest first: `CALL_FAILED | CALL_SLOW` bits."""
        return self._window.marks()

    @property
    def open_wait(self) -> float:
        """The open wait chosen when it last opened: a later `open_for` does not change it."""
        return self._record.open_for

    @property
    def half_open_since(self) -> float | None:
        """Wall-clock time the first probe of this half-open period was let in, or None."""
        record = self._record
        if record.state is not BreakerState.HALF_OPEN or record.half_open_since is None:
            return None
        return self._wall_of(record.half_open_since)

    @property
    def probes_succeeded(self) -> int:
        """Probes that succeeded in the last half-open period."""
        return self._record.probes_succeeded

    # -- the call path -----------------------------------------------------------------

    def acquire(self) -> int:
        """Admit a call and return its permit, or raise `CircuitOpenError`."""
        record = self._record
        if record.state is BreakerState.CLOSED:
            return record.epoch  # `admit` for CLOSED, written out: the pipeline's hot path
        changes: list[Change] = []
        refusal = admit(record, self.config, self._clock.monotonic(), changes)
        self._apply(changes)
        if refusal is None:
            return record.epoch
        raise CircuitOpenError(refusal.state.value, refusal.retry_in)

    def try_acquire(self) -> int | None:
        """Admit a call and return its permit, or None: `acquire` without the exception.

        For a caller that refuses many calls in a row (a replay of a long outage), where
        raising and catching an exception per refusal would cost more than the decision.
        """
        record = self._record
        state = record.state
        if state is BreakerState.CLOSED:
            return record.epoch
        opened_at = record.opened_at
        if (
            state is BreakerState.OPEN
            and opened_at is not None
            and self._clock.monotonic() - opened_at < record.open_for
        ):
            return None  # within its open wait: `admit` refuses it too and moves nothing
        changes: list[Change] = []
        refusal = admit(record, self.config, self._clock.monotonic(), changes)
        if changes:
            self._apply(changes)
        return record.epoch if refusal is None else None

    def record(self, permit: int, duration: float, failure: str | None = None) -> None:
        """Count the result of an admitted call. `failure` names its failure, None if it won."""
        record = self._record
        if permit != record.epoch:
            return  # admitted under an earlier state: it must not decide for this one
        slow_after = self.config.slow_call_duration
        slow = slow_after is not None and duration > slow_after
        if record.state is BreakerState.CLOSED and failure is None and not slow:
            window = self._window
            if not window.failures and not window.slow:
                # `count` for a fast success into a window without failed or slow calls,
                # written out: no rule can fire, so only the counts change.
                record.consecutive_failures = 0
                window.add(CALL_OK, self._clock.monotonic() if self._timed else 0.0)
                return
        changes: list[Change] = []
        count(record, self.config, self._clock.monotonic(), permit, failure, slow, changes)
        self._apply(changes)

    def release(self, permit: int) -> None:
        """Give back a permit whose call ended without a result (cancelled)."""
        give_back(self._record, permit)

    # -- operator controls -------------------------------------------------------------

    def force_open(self, reason: str = "forced open by the operator") -> None:
        """Reject every call until `reset()`."""
        changes: list[Change] = []
        force_open(self._record, self._clock.monotonic(), reason, changes)
        self._apply(changes)

    def reset(self, reason: str = "reset by the operator") -> None:
        """Back to a fresh CLOSED breaker: counters and window cleared, history kept.

        Always a new epoch: a call admitted before the reset cannot land in the cleared
        window. Resetting a CLOSED breaker is not a transition, so it emits nothing.
        """
        changes: list[Change] = []
        reset(self._record, self._clock.monotonic(), reason, changes)
        self._apply(changes)

    # -- transitions -----------------------------------------------------------------------

    def _apply(self, changes: list[Change]) -> None:
        """Keep the steps' changes as history, in wall-clock time, and tell the events."""
        for change in changes:
            self._transitions.append(
                Transition(
                    change.from_state, change.to_state, self._wall_of(change.at), change.reason
                )
            )
            self._transition_count += 1
            if self._events is not None:
                self._events(
                    BreakerTransitioned(
                        change.from_state.value, change.to_state.value, change.reason
                    )
                )

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

        record = breaker._record
        record.state = saved.state
        record.consecutive_failures = saved.fail_count
        if not breaker._timed:
            # A time window's calls were not saved with their times (`TimeWindow.marks`).
            for mark in saved.window:
                breaker._window.add(mark, now_mono)
        record.opened_at = monotonic_of(saved.opened_at)
        if saved.open_for is not None:
            record.open_for = saved.open_for
        if saved.state is BreakerState.HALF_OPEN:
            succeeded = saved.probes_succeeded
            record.probes_succeeded = record.probes_admitted = succeeded
            record.half_open_since = monotonic_of(saved.half_open_since) if succeeded else None
        breaker._transitions.extend(saved.transitions)
        wanted = breaker.config.half_open_max_calls
        if record.state is BreakerState.HALF_OPEN and record.probes_succeeded >= wanted:
            # Saved under a config that wanted more probes than this one does.
            reason = (
                f"{record.probes_succeeded} half-open probes had succeeded, {wanted} wanted,"
                " so CLOSED"
            )
            changes = [Change(record.state, BreakerState.CLOSED, now_mono, reason)]
            record.state = BreakerState.CLOSED
            record.epoch += 1
            record.consecutive_failures = 0
            record.probes_admitted = record.probes_succeeded = 0
            breaker._window.clear()
            record.opened_at = None
            breaker._apply(changes)
        return breaker

    def _wall_of(self, monotonic: float) -> float:
        return self._clock.wall() - (self._clock.monotonic() - monotonic)
