"""A breaker shared live through Redis: one atomic script per step, the server's clock.

Keys, for a breaker named NAME (`--breaker`, default `default`)::

    resilience:{NAME}:breaker      a hash: the record of _transitions.py, the window's
                                   ring of marks, and counters of outcomes seen
    resilience:{NAME}:transitions  a list of the 20 most recent transitions, newest first

The braces are Redis Cluster's hash tag: both keys of a breaker live in one slot, so the
script that touches both runs there too. Every write sets both keys to expire after
`IDLE_EXPIRY` (7 days) without a write: longer than any open wait (a day at most), so a
breaker in use never expires, and one left behind does not stay forever.

Every step (admit a call, count an outcome, give back a permit, look, force open, reset)
is one call of `redis_script.lua` by EVALSHA (and by EVAL once, when the server answers
NOSCRIPT: after a restart, or on a server that never saw it). The script reads the time
from the server's `TIME`, so hosts whose clocks disagree still agree on when OPEN ends;
only the tests pass the time in (`time_source`), to drive the store and the in-memory
breaker from one clock.

The password in the URL is the store's alone: `location` and every message show the URL
with `***` in its place (`redact.redact_url`).

The redis package is imported only here, and only when a redis:// URL is given.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from resilience_cli.errors import StateStoreError
from resilience_cli.patterns.breaker import BreakerState, Transition
from resilience_cli.redact import redact, redact_url

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import redis
    import redis.asyncio

    from resilience_cli.patterns import BreakerConfig

IDLE_EXPIRY: Final = 7 * 86_400.0
"""Seconds without a write after which a breaker's keys expire."""
SOCKET_TIMEOUT: Final = 2.0
"""Seconds a step may take, connecting included, before the store counts as unreachable."""
_SCRIPT_NAME: Final = "redis_script.lua"
_PROBLEMS_SHOWN: Final = 200  # characters of a server's message in ours
_FIXED: Final = 18  # items of a reply before its changes


def breaker_keys(name: str) -> tuple[str, str]:
    """The two keys of the breaker `name`: its hash and its list of transitions."""
    return f"resilience:{{{name}}}:breaker", f"resilience:{{{name}}}:transitions"


class Unavailable(StrEnum):
    """What `--store-unavailable` says to do while the server cannot be reached.

    See `shared_breaker.py` for each, and why `local` is the default.
    """

    LOCAL = "local"
    FAIL_CLOSED = "fail-closed"
    FAIL_OPEN = "fail-open"


class StoreUnavailableError(StateStoreError):
    """The Redis server could not be reached, or failed a step (exit 3 for a command)."""


@dataclass(frozen=True, slots=True)
class StepReply:
    """What one step of the script answered: its verdict, and the record after it.

    Times are the server's seconds since the epoch (or the test's clock).
    """

    permit: int  # -1: refused
    retry_in: float | None
    created: bool  # the keys were missing: a fresh breaker (first use, or lost)
    now: float
    state: BreakerState
    epoch: int
    fail_count: int
    calls: int
    failures: int
    slow: int
    opened_at: float | None
    open_for: float
    half_open_since: float | None
    probes_admitted: int
    probes_succeeded: int
    outcomes: int
    stale: int
    born: str  # when this breaker was made: another value means it was lost and made again
    changes: tuple[Transition, ...]

    @property
    def open_remaining(self) -> float | None:
        """Seconds until an OPEN breaker may half-open, by the server's clock."""
        if self.state is not BreakerState.OPEN or self.opened_at is None:
            return None
        return min(self.open_for, max(0.0, self.open_for - (self.now - self.opened_at)))


def parse_reply(reply: object) -> StepReply:
    """The script's answer as a `StepReply`; a malformed one is a store failure."""
    if not isinstance(reply, list) or len(reply) < _FIXED or (len(reply) - _FIXED) % 4:
        raise StoreUnavailableError(f"the Redis script answered {str(reply)[:80]!r}")
    items = [item.decode() if isinstance(item, bytes) else str(item) for item in reply]
    changes = tuple(
        Transition(
            BreakerState(items[i]), BreakerState(items[i + 1]), float(items[i + 2]), items[i + 3]
        )
        for i in range(_FIXED, len(items), 4)
    )
    return StepReply(
        permit=int(items[0]),
        retry_in=_real(items[1]),
        created=items[2] == "1",
        now=float(items[3]),
        state=BreakerState(items[4]),
        epoch=int(items[5]),
        fail_count=int(items[6]),
        calls=int(items[7]),
        failures=int(items[8]),
        slow=int(items[9]),
        opened_at=_real(items[10]),
        open_for=float(items[11]),
        half_open_since=_real(items[12]),
        probes_admitted=int(items[13]),
        probes_succeeded=int(items[14]),
        outcomes=int(items[15]),
        stale=int(items[16]),
        born=items[17],
        changes=changes,
    )


def _real(text: str) -> float | None:
    return None if text == "" else float(text)


def config_args(config: BreakerConfig) -> tuple[str, ...]:
    """The configuration as the script's ARGV[4..12]: exact numbers, "" for off."""

    def optional(value: float | None) -> str:
        return "" if value is None else repr(value)

    return (
        optional(config.failure_threshold),
        optional(config.failure_rate_threshold),
        repr(config.window_size),
        repr(config.minimum_calls),
        optional(config.slow_call_duration),
        repr(config.slow_call_rate_threshold),
        repr(config.open_for),
        repr(config.half_open_max_calls),
        optional(config.half_open_max_wait),
    )


def script_text() -> str:
    """The Lua script, shipped beside this module."""
    from importlib import resources  # noqa: PLC0415 - slow to import; only Redis needs it

    return resources.files("resilience_cli.state").joinpath(_SCRIPT_NAME).read_text("utf-8")


def unavailable(location: str, error: BaseException) -> StoreUnavailableError:
    """One line on why the store at `location` failed, with no secret in it."""
    detail = redact(str(error).strip() or type(error).__name__)[:_PROBLEMS_SHOWN]
    return StoreUnavailableError(f"state store {location} is unavailable ({detail})")


class RedisStore:
    """One named breaker on one Redis server: its keys, its script, its clients.

    Args:
        url: `redis://[:password@]host:port/db` (or `rediss://`). Kept private.
        name: The breaker's name (`--breaker`).
        unavailable: What a run does while the server cannot be reached.
        time_source: Tests only: where the script's time comes from instead of `TIME`.
    """

    __slots__ = (
        "_async",
        "_keys",
        "_script",
        "_sha",
        "_sync",
        "_time_source",
        "_url",
        "name",
        "unavailable",
    )

    def __init__(
        self,
        url: str,
        name: str = "default",
        *,
        unavailable: Unavailable = Unavailable.LOCAL,
        time_source: Callable[[], float] | None = None,
    ) -> None:
        self._url = url
        self.name = name
        self.unavailable = unavailable
        self._keys = breaker_keys(name)
        self._time_source = time_source
        self._script = script_text()
        import hashlib  # noqa: PLC0415 - only a Redis store needs it

        self._sha = hashlib.sha1(self._script.encode(), usedforsecurity=False).hexdigest()
        self._sync: redis.Redis | None = None
        self._async: redis.asyncio.Redis | None = None

    def __repr__(self) -> str:
        return f"RedisStore({self.location!r}, {self.name!r})"

    @property
    def location(self) -> str:
        """The URL with its password masked, for every message and report."""
        return redact_url(self._url)

    @property
    def keys(self) -> tuple[str, str]:
        """The breaker's hash and transitions list."""
        return self._keys

    def _args(self, step: str, config: BreakerConfig, extra: Sequence[str]) -> list[str]:
        now = "" if self._time_source is None else repr(self._time_source())
        return [step, now, str(int(IDLE_EXPIRY * 1000)), *config_args(config), *extra]

    # -- without an event loop: `state`, `reset`, `force-open` ---------------------------

    def step(self, step: str, config: BreakerConfig, *extra: str) -> StepReply:
        """Run one step and wait for its reply.

        Raises:
            StoreUnavailableError: The server could not be reached or failed the step.
        """
        import redis  # noqa: PLC0415 - only a Redis store needs it

        try:
            if self._sync is None:
                self._sync = _sync_client(self._url)
            client = self._sync
            args = self._args(step, config, extra)
            try:
                reply: object = client.evalsha(self._sha, 2, *self._keys, *args)
            except redis.exceptions.NoScriptError:
                reply = client.eval(self._script, 2, *self._keys, *args)
        except (redis.RedisError, OSError, ValueError) as error:
            raise unavailable(self.location, error) from None
        return parse_reply(reply)

    def load(self) -> dict[str, object] | None:
        """The breaker as a state file's snapshot, to be looked at; None if it has no keys.

        Its times are moved into this host's wall clock (by the difference between the
        server's time and this host's), so that a breaker restored from it in this process
        shows the server's time to half-open, even on a host whose clock is off.

        Raises:
            StoreUnavailableError: The server could not be reached.
        """
        import time  # noqa: PLC0415

        from resilience_cli.patterns import BreakerConfig  # noqa: PLC0415
        from resilience_cli.state.memento import BreakerMemento  # noqa: PLC0415

        reply = self.step("view", BreakerConfig())
        if reply.created:
            return None
        shift = time.time() - reply.now

        def here(at: float | None) -> float | None:
            return None if at is None else at + shift

        history = tuple(
            Transition(t.from_state, t.to_state, t.at + shift, t.reason) for t in self.history()
        )
        # The window's marks are not read back: what a look shows needs only its counts.
        marks = (1,) * reply.failures + (2,) * reply.slow
        return BreakerMemento(
            state=reply.state,
            fail_count=reply.fail_count,
            window=marks + (0,) * max(0, reply.calls - len(marks)),
            opened_at=here(reply.opened_at),
            open_for=reply.open_for,
            half_open_since=here(reply.half_open_since),
            probes_succeeded=reply.probes_succeeded,
            transitions=history,
        ).to_json()

    def history(self) -> tuple[Transition, ...]:
        """The recent transitions, oldest first.

        Raises:
            StoreUnavailableError: The server could not be reached.
        """
        import json  # noqa: PLC0415

        import redis  # noqa: PLC0415

        try:
            if self._sync is None:
                self._sync = _sync_client(self._url)
            items: object = self._sync.lrange(self._keys[1], 0, -1)
        except (redis.RedisError, OSError, ValueError) as error:
            raise unavailable(self.location, error) from None
        transitions = []
        for item in reversed(items if isinstance(items, list) else []):
            try:
                data = json.loads(item)
                transitions.append(
                    Transition(
                        BreakerState(data["from"]),
                        BreakerState(data["to"]),
                        float(data["at"]),
                        str(data["reason"]),
                    )
                )
            except (ValueError, KeyError, TypeError):
                continue  # a line we cannot read is history we do without
        return tuple(transitions)

    def close(self) -> None:
        """Close the client without an event loop, if one was made."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    # -- in a run: one step per admission and per outcome -----------------------------

    async def step_async(self, step: str, config: BreakerConfig, *extra: str) -> StepReply:
        """Run one step on the asyncio client (one round trip; two after NOSCRIPT).

        Raises:
            StoreUnavailableError: The server could not be reached or failed the step.
        """
        import redis  # noqa: PLC0415
        import redis.asyncio  # noqa: PLC0415

        try:
            if self._async is None:
                self._async = _async_client(self._url)
            client = self._async
            args = self._args(step, config, extra)
            try:
                reply: object = await client.evalsha(self._sha, 2, *self._keys, *args)
            except redis.exceptions.NoScriptError:
                reply = await client.eval(self._script, 2, *self._keys, *args)
        except (redis.RedisError, OSError, ValueError) as error:
            raise unavailable(self.location, error) from None
        return parse_reply(reply)

    async def aclose(self) -> None:
        """Close the asyncio client, if one was made."""
        client, self._async = self._async, None
        if client is not None:
            import redis  # noqa: PLC0415

            # Closing a connection to a server that went away: nothing is left to keep.
            with contextlib.suppress(redis.RedisError, OSError):
                await client.aclose()


# Short timeouts and no retries: a step that fails is the caller's to handle at once.
# redis-py retries a failed command up to 10 times with backoff by default, which would
# hold a call for seconds while the server is down, and could count an outcome twice when
# a reply, not the command, was lost.


def _sync_client(url: str) -> redis.Redis:
    import redis  # noqa: PLC0415
    from redis.backoff import NoBackoff  # noqa: PLC0415
    from redis.retry import Retry  # noqa: PLC0415

    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )


def _async_client(url: str) -> redis.asyncio.Redis:
    import redis.asyncio  # noqa: PLC0415
    from redis.asyncio.retry import Retry  # noqa: PLC0415
    from redis.backoff import NoBackoff  # noqa: PLC0415

    return redis.asyncio.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )
