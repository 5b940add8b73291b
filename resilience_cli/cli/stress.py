"""`resilience stress`: open-loop load for a duration, watched live, summed up over time."""

from __future__ import annotations

import inspect
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final, Protocol

import typer

from resilience_cli.cli.options import call_parameters
from resilience_cli.cli.view import ViewOption
from resilience_cli.errors import UsageError
from resilience_cli.view import View

if TYPE_CHECKING:
    from collections.abc import Mapping

    from resilience_cli.cli.options import StoreChoice
    from resilience_cli.cli.stress_watch import StressScreen
    from resilience_cli.failure_rule import FailureRule
    from resilience_cli.patterns import Policies
    from resilience_cli.request import Request
    from resilience_cli.stress.profile import LoadProfile
    from resilience_cli.stress.run import StressResult

DEFAULT_RATE: Final = 20.0  # the limiter's own default: a default run fits it
DEFAULT_DURATION: Final = 30.0

HELP: Final = "Open-loop load for a duration, with fault phases and a live dashboard."
EPILOG: Final = (
    "Examples:\n\n"
    "  resilience stress --duration 45s --phase 10s:status=500@0.6 --phase 25s:healthy"
    "   # watch the breaker open, then close\n\n"
    "  resilience stress --stages 10s:50,20s:200,10s:0 --mix /delay/0.1:1"
    "   # ramp up: the bulkhead and the limiter at work\n\n"
    "  resilience stress --duration 5m --virtual-time --json | jq .stress.series\n\n"
    "Arrivals come on the clock whatever the answers; latency counts from each arrival's"
    " scheduled time; past --max-in-flight an arrival is dropped and counted. On a"
    " terminal a live dashboard; off one, a progress line per interval."
)

ExportOption = Annotated[
    Path | None,
    typer.Option(
        "--export",
        help="Save the final dashboard to PATH.svg, .html or .txt (for slides).",
        show_default=False,
    ),
]


@dataclass(frozen=True, slots=True)
class StressOptions:
    """The options of `stress`, typed and checked.

    `requests` are the `--mix` with the request flags applied (`--method`, `-H`, ...), as
    `invoke` makes them.
    """

    profile: LoadProfile
    requests: tuple[Request, ...]
    max_in_flight: int
    interval: float
    phases: tuple[str, ...]
    seed: int
    json: bool
    base_url: str | None
    store: StoreChoice
    lock_timeout: float
    log_file: Path
    log_max_bytes: int
    log_backups: int
    virtual_time: bool
    policies: Policies
    failure_rule: FailureRule
    record: Path | None = None
    metrics_port: int | None = None
    metrics_file: Path | None = None

    @classmethod
    def parse(cls, values: Mapping[str, object]) -> StressOptions:
        """Read and check what Typer parsed; a bad value is one usage line naming its flag."""
        from resilience_cli import limits  # noqa: PLC0415
        from resilience_cli.cli.calls import parse_mix  # noqa: PLC0415
        from resilience_cli.cli.options import (  # noqa: PLC0415
            StoreChoice,
            failure_rule_of,
            policies_of,
            typed_values,
        )
        from resilience_cli.cli.request_flags import requests_of  # noqa: PLC0415
        from resilience_cli.settings import POLICY_SETTINGS  # noqa: PLC0415

        typed = typed_values("stress", values)
        interval = _number(typed["interval"])
        profile = _profile(typed)
        if profile.duration / interval > limits.MAX_INTERVALS:
            raise UsageError(
                f"--interval {interval:g}: {profile.duration:g} s would make"
                f" {profile.duration / interval:,.0f} rows; at most {limits.MAX_INTERVALS:,}"
            )
        phases = values.get("phase") or []
        state_file = typed["state_file"]
        state = typed["state"]
        return cls(
            profile=profile,
            requests=requests_of(parse_mix(str(typed["mix"])), values),
            max_in_flight=int(_number(typed["max_in_flight"])),
            interval=interval,
            phases=tuple(str(phase) for phase in phases) if isinstance(phases, list) else (),
            seed=int(_number(typed["seed"])),
            json=bool(typed["json"]),
            base_url=None if typed["base_url"] is None else str(typed["base_url"]),
            store=StoreChoice(
                state_file=None if state_file is None else Path(str(state_file)),
                state=None if state is None else str(state),
                breaker=str(typed["breaker"]),
                store_unavailable=str(typed["store_unavailable"]),
            ),
            lock_timeout=_number(typed["lock_timeout"]),
            log_file=Path(str(typed["log_file"])),
            log_max_bytes=int(_number(typed["log_max_bytes"])),
            log_backups=int(_number(typed["log_backups"])),
            virtual_time=bool(typed["virtual_time"]),
            policies=policies_of(
                {setting.name: typed[setting.name] for setting in POLICY_SETTINGS}
            ),
            failure_rule=failure_rule_of(str(typed["fail_on"])),
            record=None if typed["record"] is None else Path(str(typed["record"])),
            metrics_port=None
            if typed["metrics_port"] is None
            else int(_number(typed["metrics_port"])),
            metrics_file=None
            if typed["metrics_file"] is None
            else Path(str(typed["metrics_file"])),
        )


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):  # pragma: no cover
        raise TypeError(value)
    return float(value)


def _profile(typed: Mapping[str, object]) -> LoadProfile:
    """The arrival schedule: --stages, or --arrival-rate for --duration."""
    from resilience_cli.stress.profile import (  # noqa: PLC0415
        LoadProfile,
        check_profile,
        parse_duration,
        parse_stages,
    )

    stages, rate, duration = typed["stages"], typed["arrival_rate"], typed["duration"]
    if stages is not None:
        if duration is not None:
            raise UsageError("--stages set the duration themselves; drop --duration")
        try:
            return parse_stages(str(stages), 0.0 if rate is None else _number(rate))
        except ValueError as exc:
            raise UsageError(f"--stages: {exc}") from None
    try:
        seconds = DEFAULT_DURATION if duration is None else parse_duration(str(duration))
    except ValueError as exc:
        raise UsageError(f"--duration: {exc}") from None
    profile = LoadProfile.constant(DEFAULT_RATE if rate is None else _number(rate), seconds)
    try:
        check_profile(profile)
    except ValueError as exc:
        raise UsageError(f"--arrival-rate/--duration: {exc}") from None
    return profile


def run_stress_command(options: StressOptions, view: View | None, export: Path | None) -> None:
    """Plan, run (with the dashboard or progress lines), log and report one stress run."""
    from resilience_cli.cli import output, runtime  # noqa: PLC0415
    from resilience_cli.cli.metrics import metered  # noqa: PLC0415
    from resilience_cli.cli.phases import schedule_of  # noqa: PLC0415
    from resilience_cli.cli.signals import Interruption  # noqa: PLC0415
    from resilience_cli.cli.stress_watch import watcher_for  # noqa: PLC0415
    from resilience_cli.eventlog import open_event_log  # noqa: PLC0415
    from resilience_cli.measure import summarize  # noqa: PLC0415
    from resilience_cli.run import failure_rules  # noqa: PLC0415
    from resilience_cli.stress.run import StressPlan, run_stress  # noqa: PLC0415
    from resilience_cli.upstream.fault_control import LiveFaults  # noqa: PLC0415

    if export is not None and export.suffix not in (".svg", ".html", ".txt"):
        raise UsageError(f"--export {export}: the name must end in .svg, .html or .txt")
    mix = options.requests
    schedule = schedule_of(options.phases)
    clock = runtime.choose_clock(virtual_time=options.virtual_time)
    faults = LiveFaults(schedule, clock=clock.monotonic, seed=options.seed) if schedule else None
    target = runtime.choose_target(
        options.base_url, options.seed, clock, virtual_time=options.virtual_time, faults=faults
    )
    store = runtime.open_store(
        options.store, clock, options.lock_timeout, virtual_time=options.virtual_time
    )
    plan = StressPlan(
        profile=options.profile,
        mix=mix,
        policies=options.policies,
        max_in_flight=options.max_in_flight,
        interval=options.interval,
        seed=options.seed,
        failure_rule=options.failure_rule,
    )
    rules = failure_rules(options.failure_rule, mix)
    recorder = runtime.open_trace(options.record, clock, source="stress")
    try:
        log = open_event_log(
            options.log_file,
            clock=clock,
            run_id=uuid.uuid4().hex[:12],
            command="stress",
            warn=output.note,
            max_bytes=options.log_max_bytes,
            backups=options.log_backups,
        )
    except OSError as exc:
        runtime.close_trace(recorder)
        raise UsageError(f"--log-file {output.file_problem(options.log_file, exc)}") from None
    screen = watcher_for(faults)
    interruption = Interruption()
    try:
        log.info(
            "run.started",
            arrivals=plan.profile.arrival_count,
            duration=plan.profile.duration,
            max_in_flight=plan.max_in_flight,
            phases=str(schedule),
            seed=options.seed,
            fail_on=options.failure_rule.describe(),
            requests=[request.described() for request in mix],
        )
        with metered(options.metrics_port, options.metrics_file) as meter, screen:
            result = runtime.run(
                run_stress(
                    plan,
                    clock=clock,
                    store=store,
                    target=target,
                    faults=faults,
                    events=log,
                    watcher=screen,
                    meter=meter,
                    note=output.note,
                    recorder=recorder,
                ),
                clock,
                interruption=interruption,
            )
        summary = summarize(result, "stress", rules)
        log.info(
            "run.finished",
            calls=summary.total.calls,
            fallbacks=summary.total.fallbacks,
            dropped=result.dropped,
            interrupted=result.interrupted,
            breaker=result.after.state.value,
        )
    finally:
        log.close()
        runtime.close_trace(recorder)
    _report(result, options, str(schedule), view, rules)
    if export is not None:
        _export(screen, export)
    if result.interrupted:
        raise typer.Exit(interruption.exit_code)


def _report(
    result: StressResult,
    options: StressOptions,
    phases: str,
    view: View | None,
    rules: tuple[str, ...],
) -> None:
    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.cli.view import chosen_view  # noqa: PLC0415
    from resilience_cli.measure import summarize  # noqa: PLC0415
    from resilience_cli.reporting import render_summary, summary_document  # noqa: PLC0415
    from resilience_cli.reporting.stress import stress_document  # noqa: PLC0415
    from resilience_cli.reporting.stress_summary import render_stress  # noqa: PLC0415

    summary = summarize(result, "stress", rules)
    profile = options.profile
    if options.json:
        document = summary_document(summary)
        document["stress"] = stress_document(
            rows=result.rows,
            moments=result.moments,
            transition_count=result.transition_count,
            arrivals=result.arrivals,
            dropped=result.dropped,
            lateness=result.lateness,
            duration=profile.duration,
            interval=options.interval,
            max_in_flight=options.max_in_flight,
            phases=phases,
            planned_rate=profile.total / profile.duration,
            achieved_rate=result.achieved_rate,
        )
        output.print_json(document)
        if result.interrupted:
            output.note("interrupted: the summary covers what finished; state saved")
        return
    console = output.stdout()
    chosen = chosen_view(view, console)
    glyphs = output.glyphs()
    console.print(render_summary(summary, glyphs=glyphs, view=chosen))
    console.print(render_stress(result, phases=phases, glyphs=glyphs, view=chosen))


def _export(screen: StressScreen, path: Path) -> None:
    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.export import ExportMode  # noqa: PLC0415
    from resilience_cli.export.deck import Deck  # noqa: PLC0415
    from resilience_cli.export.files import export_files  # noqa: PLC0415

    deck = Deck()
    deck.add(screen.final())
    for file, text in export_files(
        deck.slides, path, ExportMode.SINGLE, title="resilience stress", columns=deck.width
    ):
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {output.file_problem(file, exc)}") from None
        output.note(f"wrote the final dashboard to {file}")


class _Command(Protocol):
    def __call__(self, **values: object) -> None: ...


def _command() -> _Command:
    parameters = [
        *call_parameters("stress"),
        inspect.Parameter(
            "view", inspect.Parameter.KEYWORD_ONLY, annotation=ViewOption, default=None
        ),
        inspect.Parameter(
            "export", inspect.Parameter.KEYWORD_ONLY, annotation=ExportOption, default=None
        ),
    ]

    def stress(**values: object) -> None:
        view = values["view"]
        export = values["export"]
        run_stress_command(
            StressOptions.parse(values),
            view if isinstance(view, View) else None,
            export if isinstance(export, Path) else None,
        )

    stress.__doc__ = HELP
    # Typer reads options from the signature; this one is assembled, not written out.
    stress.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return stress


def register(app: typer.Typer) -> None:
    """Add `stress` to `app`."""
    app.command("stress", help=HELP, epilog=EPILOG)(_command())
