"""`invoke`, `delay` and `error`: send N calls through the patterns and sum them up."""

from __future__ import annotations

import inspect
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

import typer

from resilience_cli.cli.options import CallOptions, call_parameters
from resilience_cli.cli.view import ViewOption, chosen_view
from resilience_cli.errors import UsageError
from resilience_cli.mix import DEFAULT_MIX  # noqa: F401 - the default `invoke` draws from, for tests
from resilience_cli.view import View

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from resilience_cli.metrics import RunMeter
    from resilience_cli.request import Request
    from resilience_cli.run import CallResult

PROGRESS_FROM: Final = 20  # calls; shorter runs finish before a bar would help


def parse_mix(text: str) -> tuple[Request, ...]:
    """The `--mix` text as weighted requests, or a usage error naming the bad item."""
    from resilience_cli.mix import parse_mix as parse  # noqa: PLC0415

    try:
        return parse(text)
    except ValueError as exc:
        raise UsageError(f"--mix: {exc}") from None


def run_calls(
    command: str,
    options: CallOptions,
    mix: tuple[Request, ...],
    view: View | None = None,
) -> None:
    """Plan, run, log and report one call command (`view`: None picks by the terminal)."""
    from resilience_cli.cli import output, runtime  # noqa: PLC0415
    from resilience_cli.cli.metrics import metered  # noqa: PLC0415
    from resilience_cli.cli.signals import Interruption  # noqa: PLC0415
    from resilience_cli.eventlog import open_event_log  # noqa: PLC0415
    from resilience_cli.measure import summarize  # noqa: PLC0415
    from resilience_cli.patterns.events import both  # noqa: PLC0415
    from resilience_cli.reporting import render_summary, summary_document  # noqa: PLC0415
    from resilience_cli.run import (  # noqa: PLC0415
        RunPlan,
        execute,
        failure_rules,
        plan_requests,
    )

    policies = options.policies()
    rule = options.failure_rule()
    clock = runtime.choose_clock(virtual_time=options.virtual_time)
    target = runtime.choose_target(
        options.base_url, options.seed, clock, virtual_time=options.virtual_time
    )
    store = runtime.open_store(
        options.store, clock, options.lock_timeout, virtual_time=options.virtual_time
    )
    plan = RunPlan(
        calls=plan_requests(options.count, mix, options.seed),
        policies=policies,
        concurrency=options.concurrency,
        seed=options.seed,
        failure_rule=rule,
    )
    recorder = runtime.open_trace(options.record, clock, source=command)
    try:
        log = open_event_log(
            options.log_file,
            clock=clock,
            run_id=uuid.uuid4().hex[:12],
            command=command,
            warn=output.note,
            max_bytes=options.log_max_bytes,
            backups=options.log_backups,
        )
    except OSError as exc:
        if recorder is not None:
            recorder.close()
        raise UsageError(f"--log-file {output.file_problem(options.log_file, exc)}") from None
    progress = _Progress(options.count) if not options.json else None
    interruption = Interruption()
    try:
        log.info(
            "run.started",
            calls=options.count,
            concurrency=options.concurrency,
            seed=options.seed,
            fail_on=rule.describe(),
            requests=[request.described() for request in mix],
        )
        with (
            metered(options.metrics_port, options.metrics_file) as meter,
            progress or _NoProgress(),
        ):
            result = runtime.run(
                execute(
                    plan,
                    clock=clock,
                    store=store,
                    target=target,
                    events=log if meter is None else both(log, meter),
                    on_call=_on_call(progress, meter),
                    on_pipeline=None if meter is None else meter.attach,
                    note=output.note,
                    recorder=recorder,
                ),
                clock,
                interruption=interruption,
            )
        summary = summarize(result, command, failure_rules(rule, mix))
        log.info(
            "run.finished",
            calls=summary.total.calls,
            fallbacks=summary.total.fallbacks,
            interrupted=result.interrupted,
            breaker=result.after.state.value,
        )
    finally:
        log.close()
        runtime.close_trace(recorder)
    if options.json:
        output.print_json(summary_document(summary))
        if result.interrupted:  # the human summary says it itself; the JSON only marks it
            output.note("interrupted: the summary covers what finished; state saved")
    else:
        console = output.stdout()
        console.print(
            render_summary(summary, glyphs=output.glyphs(), view=chosen_view(view, console))
        )
    if result.interrupted:
        raise typer.Exit(interruption.exit_code)


def _on_call(
    progress: _Progress | None, meter: RunMeter | None
) -> Callable[[CallResult], None] | None:
    """What hears of each finished call: the progress bar, the meter, both or neither."""
    if meter is None:
        return None if progress is None else progress.advance

    def heard(result: CallResult) -> None:
        meter.call(result.outcome, result.outcome.duration)
        if progress is not None:
            progress.advance(result)

    return heard


class _NoProgress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class _Progress:
    """A transient bar on stderr, only on a terminal and only for longer runs."""

    def __init__(self, total: int) -> None:
        from rich.progress import Progress  # noqa: PLC0415

        from resilience_cli.cli.output import stderr  # noqa: PLC0415

        console = stderr()
        self._enabled = console.is_terminal and total >= PROGRESS_FROM
        self._bar = Progress(console=console, transient=True, disable=not self._enabled)
        self._task = self._bar.add_task("calls", total=total)

    def advance(self, result: CallResult) -> None:
        del result
        self._bar.advance(self._task)

    def __enter__(self) -> None:
        self._bar.start()

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()


@dataclass(frozen=True, slots=True)
class CallCommand:
    """One call command: its name, help, and how its own option picks the paths it calls.

    Its options, and their defaults for this command, come from the settings table;
    `option` names the setting that is its own (`mix`, `seconds`, `status`).
    """

    name: str
    help: str
    epilog: str
    option: str
    mix: Callable[[Mapping[str, object]], tuple[Request, ...]]


class _Command(Protocol):
    def __call__(self, **values: object) -> None: ...


def _make(spec: CallCommand) -> _Command:
    view = inspect.Parameter(
        "view", inspect.Parameter.KEYWORD_ONLY, annotation=ViewOption, default=None
    )
    parameters = [*call_parameters(spec.name), view]

    def command(**values: object) -> None:
        view = values["view"]
        run_calls(
            spec.name,
            CallOptions.parse(values),
            spec.mix(values),
            view if isinstance(view, View) else None,
        )

    command.__name__ = spec.name
    command.__doc__ = spec.help
    # Typer reads options from the signature; this one is assembled, not written out.
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return command


def _mix_option(values: Mapping[str, object]) -> tuple[Request, ...]:
    from resilience_cli.cli.request_flags import requests_of  # noqa: PLC0415

    return requests_of(parse_mix(str(values["mix"])), values)


def _delay_path(values: Mapping[str, object]) -> tuple[Request, ...]:
    from resilience_cli.mix import delay_mix  # noqa: PLC0415

    return delay_mix(float(str(values["seconds"])))


def _status_path(values: Mapping[str, object]) -> tuple[Request, ...]:
    from resilience_cli.mix import status_mix  # noqa: PLC0415

    try:
        return status_mix(str(values["status"]))
    except ValueError as exc:
        raise UsageError(f"--status: {exc}") from None


COMMANDS: Final = (
    CallCommand(
        name="invoke",
        help="N mixed calls across /get, /delay/3 and /status/500, seeded.",
        epilog=(
            "Examples:\n\n"
            "  resilience invoke -n 60              # watch the bulkhead and the rate limiter\n\n"
            "  resilience invoke -n 20 --mix '/get:1,/status/503:1' --seed 7\n\n"
            "  resilience invoke -n 20 --mix '/get:3,/status/200,500:1'  # 200 or 500\n\n"
            "  resilience invoke -n 5 --mix /anything:1 --method POST --data-json '{\"a\": 1}'"
            " -H 'Authorization: Bearer ${API_TOKEN}'\n\n"
            "  resilience invoke -n 20 --mix /status/404:1 --fail-on 4xx,5xx\n\n"
            "  resilience invoke -n 5 --json | jq .fallbacks"
        ),
        option="mix",
        mix=_mix_option,
    ),
    CallCommand(
        name="delay",
        help="N calls to /delay/3: with a 2 s attempt timeout, each times out and is retried.",
        epilog=(
            "Examples:\n\n"
            "  resilience delay -n 8                # timeouts, retries, fallbacks\n\n"
            "  resilience delay -n 8 --seconds 1.5  # fast enough: every call succeeds"
        ),
        option="seconds",
        mix=_delay_path,
    ),
    CallCommand(
        name="error",
        help="N calls to /status/500, which open the circuit breaker.",
        epilog=(
            "Examples:\n\n"
            "  resilience error -n 20 && resilience state\n\n"
            "  resilience error -n 20 --status 503 --failure-threshold 10\n\n"
            "  resilience error -n 20 --status 200:0.7,500:0.3   # 30 % of calls fail"
        ),
        option="status",
        mix=_status_path,
    ),
)


def register(app: typer.Typer) -> None:
    """Add the call commands to `app`."""
    for spec in COMMANDS:
        app.command(spec.name, help=spec.help, epilog=spec.epilog)(_make(spec))
