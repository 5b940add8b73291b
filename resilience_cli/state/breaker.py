"""The persisted breaker as commands see it: restored from a snapshot, read as a view, steered.

Kept apart from `run.py` so that `resilience state`, `force-open` and `reset` load
neither httpx nor the upstream: they only read and write the state file. `steer` is the
one implementation of `force-open` and `reset` (an `OperatorAction` each), shared by the
commands and the scenario steps of the same names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from resilience_cli.errors import SnapshotError, StateFileError
from resilience_cli.patterns import BreakerState, CircuitBreaker, EventList, Transition
from resilience_cli.state.memento import SNAPSHOT_FORMAT, from_snapshot, to_snapshot

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from resilience_cli.clock import Clock
    from resilience_cli.patterns import BreakerConfig, Event, EventSink
    from resilience_cli.state.redis_store import RedisStore
    from resilience_cli.state.store import StateTransaction

_RESET_HINT = "run 'resilience reset' to start afresh"


@dataclass(frozen=True, slots=True)
class BreakerView:
    """The breaker as users see it at one moment."""

    state: BreakerState
    fail_count: int
    opened_at: float | None
    open_remaining: float | None

    @classmethod
    def of(cls, breaker: CircuitBreaker) -> BreakerView:
        """Read `breaker` now (making any transition that time has made due)."""
        state = breaker.state
        return cls(state, breaker.consecutive_failures, breaker.opened_at, breaker.open_remaining())


def load_breaker(
    snapshot: Mapping[str, object] | None,
    config: BreakerConfig | None,
    *,
    clock: Clock,
    events: EventSink | None,
    location: str,
) -> CircuitBreaker:
    """The persisted breaker, or a fresh CLOSED one; a bad snapshot names the file.

    The snapshot sits in a file of ours (the store checked its `kind`), so `reset` may
    replace it whatever is wrong with it; a newer format asks for an upgrade instead.
    """
    if snapshot is None:
        return CircuitBreaker(config, clock=clock, events=events)
    found = snapshot.get("format")
    if isinstance(found, int) and not isinstance(found, bool) and found > SNAPSHOT_FORMAT:
        problem = (
            f"holds a breaker snapshot of a newer format ({found}; this one reads"
            f" {SNAPSHOT_FORMAT}), written by a newer resilience-cli"
        )
        raise StateFileError(
            location, problem, "upgrade resilience-cli to read it", replaceable=True
        )
    try:
        return from_snapshot(snapshot, config, clock=clock, events=events)
    except SnapshotError as exc:
        problem = str(exc).removeprefix("breaker snapshot: ")
        raise StateFileError(
            location,
            f"holds a breaker this version cannot read ({problem})",
            _RESET_HINT,
            replaceable=True,
        ) from None


@dataclass(frozen=True, slots=True)
class OperatorAction:
    """`force-open` or `reset`: what it does to the breaker, and whether it is the way out.

    `reset` is the way out of a broken state file (`replace_broken`): it starts from a fresh
    breaker when the stored one cannot be read but is ours to replace.
    """

    command: str
    apply: Callable[[CircuitBreaker], None]
    replace_broken: bool = False
    # The same action as a step of a shared breaker's script, and its reason.
    step: str = ""
    reason: str = ""

    @classmethod
    def force_open(cls, reason: str) -> OperatorAction:
        """Hold the breaker open, for `reason`, until a reset."""

        def hold_open(breaker: CircuitBreaker) -> None:
            breaker.force_open(reason)

        return cls("force-open", hold_open, step="force_open", reason=reason)

    @classmethod
    def reset(cls) -> OperatorAction:
        """Close the breaker and clear its counters, replacing a broken file of ours."""
        return cls(
            "reset",
            CircuitBreaker.reset,
            replace_broken=True,
            step="reset",
            reason="reset by the operator",
        )


@dataclass(frozen=True, slots=True)
class Steered:
    """What an operator action (`force-open`, `reset`) did to the persisted breaker."""

    breaker: CircuitBreaker
    before: BreakerView
    after: BreakerView
    transitions: tuple[Transition, ...]
    # The breaker's events, held back so that they are logged only once the state is saved.
    events: tuple[Event, ...]
    replaced: str | None  # what was wrong with the broken state it replaced, if it did
    command: str = ""  # the action's command: `force-open` or `reset`

    def log_lines(self, location: str) -> tuple[tuple[str, dict[str, object]], ...]:
        """The log lines beside the breaker's events, the same for a command and a step.

        `state.replaced` when a broken state file was replaced, and `breaker.reset` for a
        reset that found the breaker already CLOSED (its counters are still cleared).
        """
        lines: list[tuple[str, dict[str, object]]] = []
        if self.replaced is not None:
            lines.append(("state.replaced", {"problem": self.replaced, "state_file": location}))
        if self.command == "reset" and not self.transitions:
            lines.append(("breaker.reset", {"reason": "it was already CLOSED; counters cleared"}))
        return tuple(lines)


def steer(
    transaction: StateTransaction,
    action: OperatorAction,
    config: BreakerConfig | None,
    *,
    clock: Clock,
    location: str,
) -> Steered:
    """Apply `action` to the breaker in `transaction` and stage its snapshot for writing.

    The transaction must have been opened with the action's `replace_broken`.
    """
    events = EventList()
    replaced = transaction.replaced
    try:
        breaker = load_breaker(
            transaction.snapshot, config, clock=clock, events=events, location=location
        )
    except StateFileError as broken:
        if not (action.replace_broken and broken.replaceable):
            raise
        breaker = CircuitBreaker(config, clock=clock, events=events)
        replaced = broken.problem
    mark = breaker.transition_mark()  # a transition that time made due counts
    before = BreakerView.of(breaker)
    action.apply(breaker)
    transaction.replace(to_snapshot(breaker))
    return Steered(
        breaker=breaker,
        before=before,
        after=BreakerView.of(breaker),
        transitions=breaker.transitions_since(mark),
        events=tuple(events.events),
        replaced=replaced,
        command=action.command,
    )


def steer_shared(
    store: RedisStore, action: OperatorAction, config: BreakerConfig | None, *, clock: Clock
) -> Steered:
    """Apply `action` to a breaker shared on Redis: one atomic step of its script.

    The looks before and after are for the report; the step itself decides alone.

    Raises:
        StoreUnavailableError: The server could not be reached.
    """
    from resilience_cli.patterns import BreakerConfig as Config  # noqa: PLC0415
    from resilience_cli.patterns.events import BreakerTransitioned  # noqa: PLC0415

    def look() -> CircuitBreaker:
        return load_breaker(store.load(), config, clock=clock, events=None, location=store.location)

    before = BreakerView.of(look())
    reply = store.step(action.step, config or Config(), action.reason)
    breaker = look()
    shift = clock.wall() - reply.now
    transitions = tuple(
        Transition(t.from_state, t.to_state, t.at + shift, t.reason) for t in reply.changes
    )
    return Steered(
        breaker=breaker,
        before=before,
        after=BreakerView.of(breaker),
        transitions=transitions,
        events=tuple(
            BreakerTransitioned(t.from_state.value, t.to_state.value, t.reason) for t in transitions
        ),
        replaced=None,
        command=action.command,
    )
