"""`state`, `force-open` and `reset`: look at and steer the persisted breaker."""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING, Annotated

import typer

from resilience_cli import defaults
from resilience_cli.cli.options import (
    BreakerNameOption,
    JsonOption,
    LockTimeoutOption,
    LogFileOption,
    StateFileOption,
    StateOption,
    StoreChoice,
)
from resilience_cli.cli.view import ViewOption  # noqa: TC001 - Typer reads it at run time
from resilience_cli.errors import UsageError
from resilience_cli.limits import MAX_SECONDS, MIN_WATCH_INTERVAL

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from resilience_cli.clock import Clock
    from resilience_cli.eventlog import EventLog
    from resilience_cli.patterns import CircuitBreaker
    from resilience_cli.state import JsonFileStore
    from resilience_cli.state.breaker import OperatorAction, Steered
    from resilience_cli.state.redis_store import RedisStore
    from resilience_cli.view import View


@contextlib.contextmanager
def _log(path: Path, clock: Clock, command: str) -> Iterator[EventLog]:
    """The decision log: an operator's force-open or reset is a decision too."""
    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.eventlog import EventLog, open_event_log  # noqa: PLC0415

    try:
        log = open_event_log(
            path, clock=clock, run_id=uuid.uuid4().hex[:12], command=command, warn=output.note
        )
    except OSError as exc:
        if command != "reset":
            raise UsageError(f"--log-file {output.file_problem(path, exc)}") from None
        # `reset` is the way out that every state error points to: it must not be blocked
        # by an unusable log. Say so, and reset without logging.
        output.note(f"not logging: --log-file {output.file_problem(path, exc)}")
        log = EventLog(None, clock=clock, run_id="", command=command)
    try:
        yield log
    finally:
        log.close()


def _steer(
    action: OperatorAction, *, choice: StoreChoice, log_file: Path, lock_timeout: float
) -> tuple[Steered, JsonFileStore | RedisStore]:
    """Apply `action` to the persisted breaker under the lock, then log what it did.

    The log hears of it only once the state is saved: a line that says "forced open" for
    a breaker that is not would be worse than no line.
    """
    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.cli.runtime import open_store  # noqa: PLC0415
    from resilience_cli.clock import SystemClock  # noqa: PLC0415
    from resilience_cli.state.breaker import steer, steer_shared  # noqa: PLC0415
    from resilience_cli.state.json_file import JsonFileStore  # noqa: PLC0415
    from resilience_cli.state.lock_wait import block_for_transaction  # noqa: PLC0415

    clock = SystemClock()
    store = open_store(choice, clock, lock_timeout)
    with _log(log_file, clock, action.command) as log:
        if not isinstance(store, JsonFileStore):  # Redis: its module is loaded only then
            try:
                steered = steer_shared(store, action, None, clock=clock)
            finally:
                store.close()
        else:
            with block_for_transaction(
                store, note=output.note, replace_broken=action.replace_broken
            ) as transaction:
                steered = steer(transaction, action, None, clock=clock, location=store.location)
        for event in steered.events:
            log(event)
        for name, fields in steered.log_lines(store.location):
            log.info(name, **fields)
        if steered.replaced is not None:
            output.note(f"replaced the unreadable state file: {steered.replaced}")
    return steered, store


def _report(
    breaker: CircuitBreaker,
    store: JsonFileStore | RedisStore,
    *,
    json: bool,
    title: str,
    view: View | None,
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


def state(  # noqa: PLR0913 - one parameter per flag
    *,
    json: JsonOption = False,
    state_file: StateFileOption = None,
    state: StateOption = None,
    breaker: BreakerNameOption = "default",
    watch: Annotated[
        bool,
        typer.Option(
            "--watch",
            help="Show the breaker live until Ctrl-C: state, counts, time to half-open and"
            " each transition as it happens (a line per change when not on a terminal).",
        ),
    ] = False,
    interval: Annotated[
        float,
        typer.Option(
            "--interval",
            min=MIN_WATCH_INTERVAL,
            max=MAX_SECONDS,
            help="Seconds between two looks at the store with --watch.",
        ),
    ] = 0.5,
    view: ViewOption = None,
) -> None:
    """Show the breaker: state, fail count, opened_at, time to half-open, recent transitions.

    It only reads the state, so it never waits for a running command.
    """
    from resilience_cli.cli.runtime import open_store  # noqa: PLC0415
    from resilience_cli.clock import SystemClock  # noqa: PLC0415
    from resilience_cli.state.breaker import load_breaker  # noqa: PLC0415

    clock = SystemClock()
    store = open_store(StoreChoice(state_file, state, breaker), clock)
    if watch:
        from resilience_cli.cli.watch import watch_breaker  # noqa: PLC0415

        watch_breaker(store, clock, interval=interval, json=json)
        return
    try:
        snapshot = store.load()
    finally:
        _close(store)
    loaded = load_breaker(snapshot, None, clock=clock, events=None, location=store.location)
    _report(loaded, store, json=json, title=f"Circuit breaker ({store.location})", view=view)


def _close(store: JsonFileStore | RedisStore) -> None:
    close = getattr(store, "close", None)
    if close is not None:
        close()


def force_open(  # noqa: PLR0913 - one parameter per flag
    *,
    reason: Annotated[str, typer.Option("--reason", help="Why, for the log and `state`.")] = (
        "forced open by the operator"
    ),
    json: JsonOption = False,
    state_file: StateFileOption = None,
    state: StateOption = None,
    breaker: BreakerNameOption = "default",
    log_file: LogFileOption = defaults.LOG_FILE,
    lock_timeout: LockTimeoutOption = defaults.LOCK_TIMEOUT,
    view: ViewOption = None,
) -> None:
    """Hold the breaker open: every call falls back until `resilience reset`."""
    from resilience_cli.state.breaker import OperatorAction  # noqa: PLC0415

    steered, store = _steer(
        OperatorAction.force_open(reason),
        choice=StoreChoice(state_file, state, breaker),
        log_file=log_file,
        lock_timeout=lock_timeout,
    )
    _report(steered.breaker, store, json=json, title="Circuit breaker forced open", view=view)


def reset(  # noqa: PLR0913 - one parameter per flag
    *,
    json: JsonOption = False,
    state_file: StateFileOption = None,
    state: StateOption = None,
    breaker: BreakerNameOption = "default",
    log_file: LogFileOption = defaults.LOG_FILE,
    lock_timeout: LockTimeoutOption = defaults.LOCK_TIMEOUT,
    view: ViewOption = None,
) -> None:
    """Close the breaker and clear its counters; also the way out of a broken state file.

    It replaces a state file it cannot read only if that file is recognisably ours (it
    holds resilience-cli's "kind"), or is not JSON at all and sits in a .resilience
    folder. Any other file is left as it is, with exit code 2.
    """
    from resilience_cli.state.breaker import OperatorAction  # noqa: PLC0415

    steered, store = _steer(
        OperatorAction.reset(),
        choice=StoreChoice(state_file, state, breaker),
        log_file=log_file,
        lock_timeout=lock_timeout,
    )
    _report(steered.breaker, store, json=json, title="Circuit breaker reset", view=view)


def register(app: typer.Typer) -> None:
    """Add the breaker commands to `app`."""
    app.command(
        "state",
        epilog="Examples:\n\n  resilience state\n\n  resilience state --json | jq .state"
        "\n\n  resilience state --watch --state redis://localhost:6379/0",
    )(state)
    app.command(
        "force-open", epilog="Example:\n\n  resilience force-open && resilience invoke -n 5"
    )(force_open)
    app.command("reset", epilog="Example:\n\n  resilience reset && resilience state")(reset)
