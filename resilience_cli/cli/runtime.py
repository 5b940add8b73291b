"""What every command that touches the breaker or the network needs: clock, store, target."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from resilience_cli import defaults
from resilience_cli.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from resilience_cli.cli.options import StoreChoice
    from resilience_cli.cli.signals import Interruption
    from resilience_cli.client import Target
    from resilience_cli.clock import Clock
    from resilience_cli.state import JsonFileStore
    from resilience_cli.state.redis_store import RedisStore
    from resilience_cli.trace import TraceWriter
    from resilience_cli.upstream.fault_control import LiveFaults

T = TypeVar("T")


def run(
    main: Coroutine[object, object, T],
    clock: Clock,
    *,
    on_interrupt: str = "interrupted before any call was made; nothing changed",
    interruption: Interruption | None = None,
) -> T:
    """Run `main` on the clock's event loop; Ctrl-C, SIGTERM and SIGHUP cancel it.

    A command that handles its cancellation (saving the state, printing what it has)
    returns normally, and `interruption` says which signal it was, for the exit code. One
    cancelled before it could (waiting for the state lock) ends here, with a line saying
    so and exit code 130 (Ctrl-C), 143 (SIGTERM) or 129 (SIGHUP).
    """
    import asyncio  # noqa: PLC0415 - `state`, `reset` and `force-open` never need it

    import typer  # noqa: PLC0415

    from resilience_cli.cli.output import note  # noqa: PLC0415
    from resilience_cli.cli.signals import Interruption  # noqa: PLC0415
    from resilience_cli.event_loops import event_loop_for  # noqa: PLC0415

    stopped = Interruption() if interruption is None else interruption

    async def stoppable() -> T:
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - a coroutine run by asyncio.Runner has a task
            return await main
        with stopped.handled(asyncio.get_running_loop(), task):
            return await main

    try:
        with asyncio.Runner(loop_factory=lambda: event_loop_for(clock)) as runner:
            return runner.run(stoppable())
    except (KeyboardInterrupt, asyncio.CancelledError):
        note(on_interrupt)
        raise typer.Exit(stopped.exit_code) from None


def open_store(
    choice: StoreChoice | Path | None,
    clock: Clock,
    lock_timeout: float = defaults.LOCK_TIMEOUT,
    *,
    virtual_time: bool = False,
) -> JsonFileStore | RedisStore:
    """The store the flags name: a Redis URL, else a state file, else the default file.

    A bare path (or None) is a `--state-file` alone, as the commands without the other
    store flags give it.
    """
    from resilience_cli.cli.options import StoreChoice  # noqa: PLC0415
    from resilience_cli.errors import ConfigError  # noqa: PLC0415
    from resilience_cli.state import JsonFileStore, default_state_path  # noqa: PLC0415
    from resilience_cli.state.json_file import named_state_path  # noqa: PLC0415
    from resilience_cli.state.locations import (  # noqa: PLC0415
        check_breaker_name,
        check_unavailable,
        is_redis_url,
        redis_store,
    )

    if not isinstance(choice, StoreChoice):
        choice = StoreChoice(state_file=choice)
    name = check_breaker_name(choice.breaker)
    check_unavailable(choice.store_unavailable)
    state_file = choice.state_file
    if choice.state is not None and choice.state != "":
        if state_file is not None:
            raise UsageError(
                "give --state or --state-file, not both (RESILIENCE_STATE_URL and"
                " RESILIENCE_STATE_FILE set them too)"
            )
        if is_redis_url(choice.state):
            if virtual_time:
                raise UsageError(
                    "--virtual-time keeps its own clock, and a breaker shared on Redis keeps"
                    " the server's: use a state file with --virtual-time"
                )
            return redis_store(choice.state, name, choice.store_unavailable)
        state_file = Path(choice.state)
    try:
        path = named_state_path(state_file or default_state_path(os.environ), name)
        return JsonFileStore(path, lock_timeout, clock=clock)
    except ConfigError:
        raise UsageError(f"--lock-timeout must be >= 0 seconds, got {lock_timeout}") from None


def choose_clock(*, virtual_time: bool) -> Clock:
    """The real clocks, or a virtual clock whose wall time starts now (`WallOrigin.NOW`)."""
    if not virtual_time:
        from resilience_cli.clock import SystemClock  # noqa: PLC0415

        return SystemClock()
    from resilience_cli.virtual_time import VirtualClock, WallOrigin  # noqa: PLC0415

    return VirtualClock(wall_origin=WallOrigin.NOW)


def choose_target(
    base_url: str | None,
    seed: int,
    clock: Clock,
    *,
    virtual_time: bool,
    faults: LiveFaults | None = None,
) -> Target:
    """The URL the user gave, the embedded upstream on loopback, or in-process (virtual time).

    Fault phases (`faults`) change how the embedded upstream answers; they are refused
    with any other URL, whose answers are not ours to change.
    """
    from resilience_cli.targets import EmbeddedTarget, InProcessTarget, RemoteTarget  # noqa: PLC0415

    if virtual_time:
        if base_url is not None:
            raise UsageError(
                "--virtual-time runs against the in-process upstream; drop --base-url"
                " (or RESILIENCE_BASE_URL) to use it"
            )
        return InProcessTarget(seed, clock.wall, faults)
    if base_url is None:
        return EmbeddedTarget(seed, clock.wall, faults)
    if faults is not None and faults.schedule:
        raise UsageError(
            "fault phases change how the embedded upstream answers, not another server;"
            " drop --base-url (or RESILIENCE_BASE_URL) to use them"
        )
    check_base_url(base_url)
    return RemoteTarget(base_url)


def check_base_url(base_url: str) -> None:
    """Refuse a URL httpx could never send to, before any call is made."""
    import httpx  # noqa: PLC0415

    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise UsageError(f"--base-url {base_url!r} is not a URL: {exc}") from None
    except UnicodeError:  # a byte that was not UTF-8 on the command line: it has no URL form
        raise UsageError(
            f"--base-url {base_url!r} is not a URL: it holds a byte that is not UTF-8"
        ) from None
    if url.scheme not in ("http", "https") or not url.host:
        raise UsageError(f"--base-url {base_url!r} must be an http:// or https:// URL with a host")


def open_trace(path: Path | None, clock: Clock, *, source: str) -> TraceWriter | None:
    """The `--record` trace file, created now (its times count from now), or None."""
    if path is None:
        return None
    from resilience_cli.trace import TraceWriter  # noqa: PLC0415

    return TraceWriter.create(path, origin=clock.monotonic(), source=source)


def close_trace(writer: TraceWriter | None) -> None:
    """Complete the trace file, and say on stderr if it was cut short or failed."""
    if writer is None:
        return
    from resilience_cli.cli.output import note  # noqa: PLC0415
    from resilience_cli.limits import MAX_TRACE_RECORDS  # noqa: PLC0415

    writer.close()
    if writer.problem is not None:
        note(writer.problem)
    elif writer.truncated:
        note(f"the trace holds its first {MAX_TRACE_RECORDS:,} events only (the bound)")
