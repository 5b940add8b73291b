"""`resilience state --watch`: the breaker live, from the state file or from Redis.

It looks at the store every `--interval` seconds (0.5 by default, at least 0.1), the same
look `resilience state` takes: it never takes the state lock and never waits for a run.
Polling, rather than Redis pub/sub, because the time to half-open changes every second
whether or not anything is published, and because one look per interval costs the server
the same whatever the load; every transition is kept in the store's recent history, so
one made between two looks is still shown.

On a terminal the view is redrawn in place (Rich `Live`). Off one (a pipe, a CI log) it
prints one line when the state or the counts change and one per new transition, and with
`--json` one `state --json` document per change. Ctrl-C ends it at once with exit 130.
A store that cannot be reached is said in the view, and watched again at the next look.
"""

from __future__ import annotations

import json as json_module
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from resilience_cli.errors import EXIT_INTERRUPTED, StateStoreError

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from resilience_cli.clock import Clock
    from resilience_cli.patterns import Transition
    from resilience_cli.state import JsonFileStore
    from resilience_cli.state.breaker import BreakerView
    from resilience_cli.state.redis_store import RedisStore


def look(
    store: JsonFileStore | RedisStore, clock: Clock
) -> tuple[BreakerView, tuple[Transition, ...]]:
    """The breaker now and its recent transitions, as `resilience state` reads them."""
    from resilience_cli.state.breaker import BreakerView, load_breaker  # noqa: PLC0415

    breaker = load_breaker(store.load(), None, clock=clock, events=None, location=store.location)
    return BreakerView.of(breaker), breaker.transitions


def watch_breaker(  # noqa: PLR0913 - the flags, and the seams tests use
    store: JsonFileStore | RedisStore,
    clock: Clock,
    *,
    interval: float,
    json: bool,
    console: Console | None = None,
    sleep: Callable[[float], None] = time.sleep,
    looks: int | None = None,
) -> None:
    """Show the breaker until Ctrl-C (or `looks` looks, for tests); exit 130 on Ctrl-C."""
    from resilience_cli.cli import output  # noqa: PLC0415

    out = output.stdout() if console is None else console
    try:
        if out.is_terminal and not json:
            _live(store, clock, out, interval, sleep, looks)
        else:
            _lines(store, clock, out, interval, sleep, looks, json=json)
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            close()


def _live(  # noqa: PLR0913, PLR0917 - the loop's parts
    store: JsonFileStore | RedisStore,
    clock: Clock,
    out: Console,
    interval: float,
    sleep: Callable[[float], None],
    looks: int | None,
) -> None:
    from rich.live import Live  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.reporting import render_breaker  # noqa: PLC0415

    title = f"Circuit breaker, live, Ctrl-C to stop ({store.location})"
    with Live(console=out, auto_refresh=False, transient=False) as live:
        done = 0
        while looks is None or done < looks:
            try:
                view, transitions = look(store, clock)
                shown: object = render_breaker(
                    view, transitions, title=title, glyphs=output.glyphs()
                )
            except StateStoreError as error:
                shown = Text(f"{title}\n{error}; looking again in {interval:g}s")
            live.update(shown, refresh=True)  # type: ignore[arg-type]
            done += 1
            if looks is None or done < looks:
                sleep(interval)


def _lines(  # noqa: C901, PLR0913, PLR0917 - the loop's parts
    store: JsonFileStore | RedisStore,
    clock: Clock,
    out: Console,
    interval: float,
    sleep: Callable[[float], None],
    looks: int | None,
    *,
    json: bool,
) -> None:
    from resilience_cli.printable import shown  # noqa: PLC0415
    from resilience_cli.reporting.document import state_document  # noqa: PLC0415

    last_line = ""
    seen: set[tuple[float, str]] = set()
    first = True
    done = 0
    while looks is None or done < looks:
        try:
            view, transitions = look(store, clock)
        except StateStoreError as error:
            line = f"{_now(clock)} {error}"
            if line.split(" ", 1)[1] != last_line.split(" ", 1)[-1]:
                out.print(shown(line), markup=False, highlight=False, soft_wrap=True)
            last_line = line
        else:
            fresh = [t for t in transitions if (t.at, t.reason) not in seen]
            seen.update((t.at, t.reason) for t in transitions)
            summary = _summary(view)
            if json:
                if summary != last_line or fresh:
                    document = state_document(view, transitions, store.location)
                    out.print(
                        json_module.dumps(document), markup=False, highlight=False, soft_wrap=True
                    )
            else:
                if not first:  # the history before the watch began is `state`'s to show
                    for transition in fresh:
                        out.print(
                            shown(f"{_iso(transition.at)} {_transition_line(transition)}"),
                            markup=False,
                            highlight=False,
                            soft_wrap=True,
                        )
                if summary != last_line:
                    out.print(
                        f"{_now(clock)} {summary}", markup=False, highlight=False, soft_wrap=True
                    )
            last_line = summary
            first = False
        done += 1
        if looks is None or done < looks:
            sleep(interval)


def _summary(view: BreakerView) -> str:
    parts = [view.state.value.upper(), f"fail_count={view.fail_count}"]
    if view.opened_at is not None:
        parts.append(f"opened_at={_iso(view.opened_at)}")
    if view.open_remaining is not None:
        # Whole seconds: a line per change, not one per tick of the countdown.
        parts.append(f"half-open in {view.open_remaining:.0f}s")
    return " ".join(parts)


def _transition_line(transition: Transition) -> str:
    return (
        f"{transition.from_state.value.upper()} -> {transition.to_state.value.upper()}:"
        f" {transition.reason}"
    )


def _iso(wall: float) -> str:
    return datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds")


def _now(clock: Clock) -> str:
    return _iso(clock.wall())
