"""`state`, `force-open` and `reset`: look at and steer the persisted breaker."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from resilience_cli import defaults
from resilience_cli.cli.options import (  # noqa: TC001 - Typer reads these at run time
    JsonOption,
    LogFileOption,
    StateFileOption,
)
from resilience_cli.cli.view import ViewOption  # noqa: TC001 - Typer reads it at run time
from resilience_cli.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from resilience_cli.clock import Clock
    from resilience_cli.eventlog import EventLog
    from resilience_cli.patterns import CircuitBreaker, EventSink
    from resilience_cli.state import JsonFileStore
    from resilience_cli.view import View


def _breaker(
    store: JsonFileStore,
    snapshot: dict[str, object] | None,
    clock: Clock,
    events: EventSink | None = None,
) -> CircuitBreaker:
    from resilience_cli.state.breaker import load_breaker  # noqa: PLC0415

    return load_breaker(snapshot, None, clock=clock, events=events, location=store.location)


@contextlib.contextmanager
def _log(path: Path, clock: Clock, command: str) -> Iterator[EventLog]:
    """The decision log: an operator's force-open or reset is a decision too."""
    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.eventlog import EventLog, open_event_log  # noqa: PLC0415

    try:
        log = open_event_log(path, clock=clock, run_id=uuid.uuid4().hex[:12], command=command)
    except OSError as exc:
        if command != "reset":
            raise UsageError(f"--log-file {output.file_problem(path, exc)}") from None
        # `reset` is the way out that every state error points to: it must not be blocked
        # by an unusable log. Say so, and reset without logging.
        output.note(f"not logging: --log-file {output.file_problem(path, exc)}")
        devnull = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115 - closed below
        log = EventLog(devnull, clock=clock, run_id="", command=command)
    try:
        yield log
    finally:
        log.close()


def _report(
    breaker: CircuitBreaker, store: JsonFileStore, *, json: bool, title: str, view: View | None
) -> None:
    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.cli.view import chosen_view  # noqa: PLC0415
    from resilience_cli.reporting import render_breaker  # noqa: PLC0415
    from resilience_cli.reporting.document import state_document  # noqa: PLC0415
    from resilience_cli.state.breaker import BreakerView  # noqa: PLC0415

    if json:
        output.print_json(
            state_document(BreakerView.of(breaker), breaker.transitions, store.location)
        )
    else:
        console = output.stdout()
        console.print(
            render_breaker(
                BreakerView.of(breaker),
                breaker.transitions,
                title=title,
                glyphs=output.glyphs(),
                view=chosen_view(view, console),
            )
        )


def state(
    *, json: JsonOption = False, state_file: StateFileOption = None, view: ViewOption = None
) -> None:
    """Show the breaker: state, fail count, opened_at, time to half-open, recent transitions.

    It only reads the state file, so it never waits for a running command.
    """
    from resilience_cli.cli.runtime import open_store  # noqa: PLC0415
    from resilience_cli.clock import SystemClock  # noqa: PLC0415

    clock = SystemClock()
    store = open_store(state_file, clock)
    breaker = _breaker(store, store.load(), clock)
    _report(breaker, store, json=json, title=f"Circuit breaker ({store.location})", view=view)


def force_open(
    *,
    reason: Annotated[str, typer.Option("--reason", help="Why, for the log and `state`.")] = (
        "forced open by the operator"
    ),
    json: JsonOption = False,
    state_file: StateFileOption = None,
    log_file: LogFileOption = defaults.LOG_FILE,
    view: ViewOption = None,
) -> None:
    """Hold the breaker open: every call falls back until `resilience reset`."""
    from resilience_cli.cli.runtime import open_store  # noqa: PLC0415
    from resilience_cli.clock import SystemClock  # noqa: PLC0415

    clock = SystemClock()
    store = open_store(state_file, clock)
    with _log(log_file, clock, "force-open") as log, store.transaction() as transaction:
        breaker = _breaker(store, transaction.snapshot, clock, log)
        breaker.force_open(reason)
        transaction.replace(breaker.snapshot())
    _report(breaker, store, json=json, title="Circuit breaker forced open", view=view)


def reset(
    *,
    json: JsonOption = False,
    state_file: StateFileOption = None,
    log_file: LogFileOption = defaults.LOG_FILE,
    view: ViewOption = None,
) -> None:
    """Close the breaker and clear its counters; also the way out of an unreadable state file."""
    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.cli.runtime import open_store  # noqa: PLC0415
    from resilience_cli.clock import SystemClock  # noqa: PLC0415
    from resilience_cli.errors import StateFileError  # noqa: PLC0415
    from resilience_cli.patterns import CircuitBreaker  # noqa: PLC0415

    clock = SystemClock()
    store = open_store(state_file, clock)
    with _log(log_file, clock, "reset") as log:
        try:
            with store.transaction() as transaction:
                breaker = _breaker(store, transaction.snapshot, clock, log)
                mark = breaker.transition_mark()
                breaker.reset()
                transaction.replace(breaker.snapshot())
            if not breaker.transitions_since(mark):
                log.info("breaker.reset", reason="it was already CLOSED; counters cleared")
        except StateFileError as exc:
            # The user asked for a fresh start, and every message about this file said so.
            store.clear()
            breaker = CircuitBreaker(clock=clock)
            store.save(breaker.snapshot())
            log.info("state.replaced", problem=exc.problem, state_file=store.location)
            output.note(f"replaced the unreadable state file: {exc.problem}")
    _report(breaker, store, json=json, title="Circuit breaker reset", view=view)


def register(app: typer.Typer) -> None:
    """Add the breaker commands to `app`."""
    app.command(
        "state", epilog="Examples:\n\n  resilience state\n\n  resilience state --json | jq .state"
    )(state)
    app.command(
        "force-open", epilog="Example:\n\n  resilience force-open && resilience invoke -n 5"
    )(force_open)
    app.command("reset", epilog="Example:\n\n  resilience reset && resilience state")(reset)
