"""The breaker of a run whose state is on Redis: each admission and each outcome one step.

`SharedBreaker` is what the pipeline asks instead of an in-memory `CircuitBreaker` when
`--state` is a redis:// URL. A call costs two round trips on its way through: one step to
be admitted (`acquire`), one to count its outcome (`record`). Nothing is cached between
them: a breaker that another process opened a moment ago refuses the next call here.

When the server cannot be reached, or fails a step, `--store-unavailable` decides
(`Unavailable`), and one line on stderr says so when it starts and when it ends:

- `local` (the default): an in-process breaker with the same configuration guards this
  process alone until the server answers again. The upstream stays protected, by a
  breaker that counts only this process's calls; a store outage never becomes an outage
  of the service.
- `fail-closed`: every call is refused (`breaker_open`) until the server answers again.
- `fail-open`: every call goes through, counted by no breaker.

While the server is down it is asked again at most once a second (`RETRY_AFTER`), so a
run does not pay a connect timeout per call. Outcomes of calls admitted by the server
that cannot be counted because it went away are said in a line at the end of the run.

A breaker whose keys are missing after this process saw them (FLUSHALL, eviction, a
restart without persistence) is a fresh CLOSED breaker: the script makes one. Each breaker
carries the time it was made (`born`), so every process that saw the lost one says so
once, in a warning, whichever process made the fresh one.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

from resilience_cli.errors import CircuitOpenError, ConfigError
from resilience_cli.patterns.breaker import BreakerState, CircuitBreaker
from resilience_cli.patterns.events import BreakerTransitioned
from resilience_cli.state.breaker import BreakerView
from resilience_cli.state.redis_store import StoreUnavailableError, Unavailable

if TYPE_CHECKING:
    from collections.abc import Callable

    from resilience_cli.clock import Clock
    from resilience_cli.patterns import BreakerConfig, EventSink, Transition
    from resilience_cli.state.redis_store import RedisStore, StepReply

RETRY_AFTER: Final = 1.0
"""Seconds between tries of a server that failed."""
UNCOUNTED: Final = -1
"""The permit of a call let through unguarded (`fail-open`): nothing counts it."""
_RELEASE_WAIT: Final = 2.0  # seconds the end of a run waits for permits being given back


_WHILE_DOWN: Final = {
    Unavailable.LOCAL: "an in-process breaker guards this process alone until it is back",
    Unavailable.FAIL_CLOSED: "every call is refused until it is back",
    Unavailable.FAIL_OPEN: "calls go through unguarded until it is back",
}


def _local_permit(epoch: int) -> int:
    """An in-process breaker's permit, told apart from the server's (>= 0) and UNCOUNTED."""
    return -2 - epoch


class SharedBreaker:
    """The pipeline's breaker for a run on a Redis store (see the module's notes).

    Args:
        store: The named breaker's store.
        config: This run's configuration (each step carries it).
        clock: The run's clock: measures the waits between tries of a failed server.
        events: Hears every transition this process's steps made.
        unavailable: What to do while the server cannot be reached.
        note: Hears each line about the store (outages, lost keys).
    """

    def __init__(  # noqa: PLR0913 - the collaborators, each injected
        self,
        store: RedisStore,
        config: BreakerConfig,
        *,
        clock: Clock,
        events: EventSink | None,
        unavailable: Unavailable,
        note: Callable[[str], None] | None,
    ) -> None:
        if config.window_duration is not None:
            # The script keeps a count-based ring; a time window there is not written yet.
            raise ConfigError(
                "breaker.window_duration",
                "a time-based window runs only on a state file, not on a Redis store;"
                " use --window-seconds 0 (a count-based window) or a state file",
            )
        self.store = store
        self.config = config
        self._clock = clock
        self._events = events
        self._unavailable = unavailable
        self._note = note
        self._down_until: float | None = None
        self._born: str | None = None  # the birth of the breaker this process saw
        self._local: CircuitBreaker | None = None
        self._made: list[Transition] = []
        self._releases: set[asyncio.Task[None]] = set()
        self._last: StepReply | None = None
        self.uncounted = 0  # outcomes of admitted calls the server could not count

    # -- the pipeline's side ---------------------------------------------------------

    async def acquire(self) -> int:
        """Admit a call and return its permit, or raise `CircuitOpenError`."""
        if not self._is_down():
            try:
                reply = await self.store.step_async("acquire", self.config)
            except StoreUnavailableError as error:
                self._went_down(error)
            else:
                self._take(reply)
                if reply.permit >= 0:
                    return reply.permit
                raise CircuitOpenError(reply.state.value, reply.retry_in)
        return self._acquire_while_down()

    async def record(self, permit: int, duration: float, failure: str | None = None) -> None:
        """Count the result of an admitted call on the breaker that admitted it."""
        if permit == UNCOUNTED:
            return
        if permit < UNCOUNTED:
            if self._local is not None:
                self._local.record(-2 - permit, duration, failure)
            return
        slow_after = self.config.slow_call_duration
        slow = slow_after is not None and duration > slow_after
        try:
            reply = await self.store.step_async(
                "record", self.config, str(permit), failure or "", "1" if slow else "0"
            )
        except StoreUnavailableError as error:
            self.uncounted += 1
            self._went_down(error)
            return
        self._take(reply)

    def release(self, permit: int) -> None:
        """Give back a permit whose call ended without a result; the step runs in the background.

        Called where the pipeline may not wait (a cancelled call), so it only starts it.
        """
        if permit == UNCOUNTED:
            return
        if permit < UNCOUNTED:
            if self._local is not None:
                self._local.release(-2 - permit)
            return
        task = asyncio.ensure_future(self._release(permit))
        self._releases.add(task)
        task.add_done_callback(self._releases.discard)

    async def _release(self, permit: int) -> None:
        try:
            reply = await self.store.step_async("release", self.config, str(permit))
        except StoreUnavailableError:
            return  # its half-open wait re-opens the breaker if the probe slot stays taken
        self._take(reply)

    # -- what the run reports ----------------------------------------------------------

    async def view(self) -> BreakerView:
        """The breaker now, as the server sees it (or the breaker standing in for it)."""
        if not self._is_down():
            try:
                reply = await self.store.step_async("view", self.config)
            except StoreUnavailableError as error:
                self._went_down(error)
            else:
                self._take(reply, looking=True)
                return view_of(reply)
        if self._local is not None:
            return BreakerView.of(self._local)
        if self._last is not None:
            return view_of(self._last)
        return BreakerView(BreakerState.CLOSED, 0, None, None)

    @property
    def transitions(self) -> tuple[Transition, ...]:
        """The transitions this process's steps made, the in-process breaker's included."""
        local = () if self._local is None else self._local.transitions_since(0)
        return tuple(sorted((*self._made, *local), key=lambda t: t.at))

    async def aclose(self) -> None:
        """Wait briefly for permits being given back, then close the connections."""
        if self._releases:
            await asyncio.wait(set(self._releases), timeout=_RELEASE_WAIT)
        await self.store.aclose()
        if self.uncounted and self._note is not None:
            self._note(
                f"warning: {self.uncounted} outcome(s) of calls the shared breaker had admitted"
                f" could not be counted: {self.store.location} was unavailable"
            )

    # -- the server's replies and outages ------------------------------------------------

    def _take(self, reply: StepReply, *, looking: bool = False) -> None:
        if not (looking and reply.created):  # a look at a missing breaker makes none
            if self._born is not None and reply.born != self._born and self._note is not None:
                # Made again since this process last saw it, here or by another process.
                self._note(
                    f"warning: breaker {self.store.name!r} was missing from"
                    f" {self.store.location} (its keys were flushed, evicted, or lost in a"
                    " restart without persistence): going on with a fresh CLOSED breaker"
                )
            self._born = reply.born
        self._last = reply
        if self._down_until is not None:
            self._down_until = None
            if self._note is not None:
                self._note(
                    f"state store {self.store.location} is back: the breaker is shared again"
                )
        for change in reply.changes:
            self._made.append(change)
            if self._events is not None:
                self._events(
                    BreakerTransitioned(
                        change.from_state.value, change.to_state.value, change.reason
                    )
                )

    def _is_down(self) -> bool:
        return self._down_until is not None and self._clock.monotonic() < self._down_until

    def _went_down(self, error: StoreUnavailableError) -> None:
        first = self._down_until is None
        self._down_until = self._clock.monotonic() + RETRY_AFTER
        if first and self._note is not None:
            self._note(
                f"warning: {error}: {_WHILE_DOWN[self._unavailable]}"
                f" (--store-unavailable {self._unavailable.value})"
            )

    def _acquire_while_down(self) -> int:
        if self._unavailable is Unavailable.FAIL_OPEN:
            return UNCOUNTED
        if self._unavailable is Unavailable.FAIL_CLOSED:
            raise CircuitOpenError("unknown: the state store is unavailable", None)
        if self._local is None:
            self._local = CircuitBreaker(self.config, clock=self._clock, events=self._events)
        return _local_permit(self._local.acquire())


def view_of(reply: StepReply) -> BreakerView:
    """What users see of a step's reply: state, fail count, opened_at, time to half-open."""
    return BreakerView(reply.state, reply.fail_count, reply.opened_at, reply.open_remaining)
