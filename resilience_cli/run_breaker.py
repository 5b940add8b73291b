"""The breaker a run works with, wherever it lives, from restore to save.

`run.execute` and `stress.run_stress` hold their breaker alike: on a Redis store, shared
live (no lock, no snapshot: each admission and outcome is a step on the server); switched
off, only looked at (never locked or rewritten); otherwise restored under the state
file's lock, and saved when the run ends. `with_breaker` does that once for both, and
hands the run a side that says which breaker the pipeline uses and how it looked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from resilience_cli.patterns.breaker import BreakerState, Transition
from resilience_cli.state.breaker import BreakerView, load_breaker
from resilience_cli.state.lock_wait import wait_for_transaction
from resilience_cli.state.memento import to_snapshot
from resilience_cli.state.redis_store import RedisStore

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from resilience_cli.clock import Clock
    from resilience_cli.patterns import BreakerConfig, CircuitBreaker, EventSink
    from resilience_cli.patterns.events import BreakerTransitioned
    from resilience_cli.state import BreakerStore
    from resilience_cli.state.shared_breaker import SharedBreaker

R = TypeVar("R")


class InMemorySide:
    """The breaker of a run on a state file: restored in this process, saved after."""

    def __init__(self, breaker: CircuitBreaker, *, used: bool) -> None:
        self.breaker = breaker if used else None
        self.shared: SharedBreaker | None = None
        self._shown = breaker
        self._mark = breaker.transition_mark()

    async def view(self) -> BreakerView:
        """The breaker as it stands."""
        return BreakerView.of(self._shown)

    def transitions(self) -> tuple[Transition, ...]:
        """The transitions since the run began."""
        return self._shown.transitions_since(self._mark)

    def transition(self, event: BreakerTransitioned, wall: float) -> Transition:
        """The transition `event` announces: the breaker's own record of it."""
        del event, wall
        return self._shown.transitions[-1]


class SharedSide:
    """The breaker of a run on a Redis store: asked at each step, shared live."""

    def __init__(self, shared: SharedBreaker, *, used: bool) -> None:
        self.breaker: CircuitBreaker | None = None
        self.shared = shared if used else None
        self._shown = shared

    async def view(self) -> BreakerView:
        """The breaker as the server has it."""
        return await self._shown.view()

    def transitions(self) -> tuple[Transition, ...]:
        """The transitions this process saw."""
        return self._shown.transitions

    def transition(self, event: BreakerTransitioned, wall: float) -> Transition:
        """The transition `event` announces, at `wall`: the server's steps tell no more."""
        return Transition(
            BreakerState(event.from_state), BreakerState(event.to_state), wall, event.reason
        )


BreakerSide = InMemorySide | SharedSide


async def with_breaker(  # noqa: PLR0913 - the store, the policy, and who hears of it
    store: BreakerStore | RedisStore,
    config: BreakerConfig | None,
    body: Callable[[BreakerSide], Awaitable[R]],
    *,
    clock: Clock,
    events: EventSink | None,
    note: Callable[[str], None] | None,
    patient: bool = True,
) -> R:
    """Run `body` with the run's breaker, held as its store needs; saved after, on a file.

    `config` None: the breaker is switched off and only looked at. `patient=False` does
    not wait for the state lock at all (clean-up after Ctrl-C).
    """
    if isinstance(store, RedisStore):
        from resilience_cli.patterns import BreakerConfig  # noqa: PLC0415
        from resilience_cli.state.shared_breaker import SharedBreaker  # noqa: PLC0415

        shared = SharedBreaker(
            store,
            config or BreakerConfig(),
            clock=clock,
            events=events if config is not None else None,
            unavailable=store.unavailable,
            note=note,
        )
        try:
            return await body(SharedSide(shared, used=config is not None))
        finally:
            await shared.aclose()
    if config is None:
        snapshot = store.load()
        shown = load_breaker(snapshot, None, clock=clock, events=None, location=store.location)
        return await body(InMemorySide(shown, used=False))
    async with wait_for_transaction(store, note=note, patient=patient) as transaction:
        breaker = load_breaker(
            transaction.snapshot, config, clock=clock, events=events, location=store.location
        )
        result = await body(InMemorySide(breaker, used=True))
        transaction.replace(to_snapshot(breaker))
    return result
