"""`resilience run`: scenario files run step by step, judged, reported and exported."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from resilience_cli import defaults
from resilience_cli.cli.exports import ExportModeOption  # noqa: TC001 - read by Typer
from resilience_cli.cli.options import (
    BaseUrlOption,
    BreakerNameOption,
    JsonOption,
    LockTimeoutOption,
    LogBackupsOption,
    LogFileOption,
    LogMaxBytesOption,
    MetricsFileOption,
    MetricsPortOption,
    RecordOption,
    StateFileOption,
    StateOption,
    StoreChoice,
    StoreUnavailableOption,
)
from resilience_cli.cli.scenario_cmds import Files, load_all
from resilience_cli.cli.view import ViewOption  # noqa: TC001 - Typer reads it at run time
from resilience_cli.errors import EXIT_INTERRUPTED, UsageError
from resilience_cli.limits import MAX_SEED

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Group

    from resilience_cli.cli.prompt import Prompt
    from resilience_cli.cli.scenario_output import ScenarioOutput
    from resilience_cli.cli.signals import Interruption
    from resilience_cli.client import Target
    from resilience_cli.clock import Clock
    from resilience_cli.eventlog import EventLog
    from resilience_cli.metrics import RunMeter
    from resilience_cli.proxy import FaultSwitch
    from resilience_cli.scenarios import Scenario
    from resilience_cli.scenarios.model import Step
    from resilience_cli.scenarios.runner import ScenarioReport, StepReport
    from resilience_cli.state import BreakerStore
    from resilience_cli.state.redis_store import RedisStore
    from resilience_cli.trace import Recorder, TraceWriter
    from resilience_cli.upstream.fault_control import LiveFaults


def run(  # noqa: PLR0913 - one flag per output and per runtime choice
    files: Files,
    *,
    json: JsonOption = False,
    junit: Annotated[
        Path | None,
        typer.Option(
            "--junit", help="Write JUnit XML: one testcase per expectation.", show_default=False
        ),
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            help=(
                "Record the report, 100 columns wide, to PATH.svg, .html or .txt: slides"
                " (see --export-mode), with their font inside, for a screen with no network."
            ),
            show_default=False,
        ),
    ] = None,
    export_mode: ExportModeOption = None,
    view: ViewOption = None,
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive",
            "-i",
            help="Wait for Enter before each step; the run's clock stands still meanwhile.",
        ),
    ] = False,
    virtual_time: Annotated[
        bool,
        typer.Option(
            "--virtual-time",
            help="Virtual clock and in-process upstream: minutes of demo in well under a second.",
        ),
    ] = False,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", min=0, max=MAX_SEED, help="Override the files' seed.", show_default=False
        ),
    ] = None,
    base_url: BaseUrlOption = None,
    state_file: StateFileOption = None,
    state: StateOption = None,
    breaker: BreakerNameOption = "default",
    store_unavailable: StoreUnavailableOption = "local",
    lock_timeout: LockTimeoutOption = defaults.LOCK_TIMEOUT,
    log_file: LogFileOption = defaults.LOG_FILE,
    record: RecordOption = None,
    log_max_bytes: LogMaxBytesOption = defaults.LOG_MAX_BYTES,
    log_backups: LogBackupsOption = defaults.LOG_BACKUPS,
    metrics_port: MetricsPortOption = None,
    metrics_file: MetricsFileOption = None,
) -> None:
    """Run scenario files: each step like its one-liner, each expectation judged.

    Exit 0 when every strict expectation held, 1 when one failed, 2 for an invalid file,
    130 on Ctrl-C, 143 on SIGTERM, 129 on SIGHUP (after the `finally` steps ran).
    """
    from resilience_cli.cli import exports, output, runtime  # noqa: PLC0415
    from resilience_cli.cli.metrics import metered  # noqa: PLC0415
    from resilience_cli.cli.prompt import Prompt  # noqa: PLC0415
    from resilience_cli.cli.signals import Interruption  # noqa: PLC0415
    from resilience_cli.scenarios.runner import overall_exit_code  # noqa: PLC0415

    mode = exports.export_mode(export, export_mode)
    loaded = load_all(files)
    _check_environment(loaded)
    if not virtual_time:
        _check_phases(loaded, base_url)
        _check_endpoints(loaded, base_url)
    out = exports.scenario_output(json=json, export=export, mode=mode, view=view)
    clock = runtime.choose_clock(virtual_time=virtual_time)
    prompt = Prompt.for_run(clock, virtual_time=virtual_time) if interactive else None
    if prompt is not None and prompt.clock is not None:
        clock = prompt.clock  # every step reads the clock that stops at the prompt
    store = runtime.open_store(
        StoreChoice(state_file, state, breaker, store_unavailable),
        clock,
        lock_timeout,
        virtual_time=virtual_time,
    )
    interruption = Interruption()
    recorder = runtime.open_trace(record, clock, source="run")
    log = _open_run_log(log_file, clock, recorder, max_bytes=log_max_bytes, backups=log_backups)

    def store_for(scenario: Scenario) -> BreakerStore | RedisStore:
        """The file's `state:` key, unless a flag or the environment names a store."""
        if scenario.state is None or state or state_file is not None:
            return store
        return runtime.open_store(
            StoreChoice(None, scenario.state, breaker, store_unavailable),
            clock,
            lock_timeout,
            virtual_time=virtual_time,
        )

    reports: list[ScenarioReport] = []
    try:
        with metered(metrics_port, metrics_file) as meter:
            reports = _run_all(
                loaded,
                seed=seed,
                clock=clock,
                out=out,
                base_url=base_url,
                virtual_time=virtual_time,
                prompt=prompt,
                store_for=store_for,
                log=log,
                interruption=interruption,
                recorder=recorder,
                meter=meter,
            )
    finally:
        log.close()
        runtime.close_trace(recorder)
    _write_reports(reports, json=json, junit=junit, interrupted_exit=interruption.exit_code)
    if export is not None:
        titles = " · ".join(report.scenario.title for report in reports)
        exports.write_export(out, export, mode, titles)
    code = overall_exit_code(reports)
    _say_why_a_step_could_not_run(reports)
    if code == EXIT_INTERRUPTED:
        if json:  # the human report says it in its verdict line; the JSON only marks it
            output.note("interrupted: the finally steps ran and the state is saved")
        code = interruption.exit_code
    raise typer.Exit(code)


def _check_environment(loaded: list[tuple[str, Scenario]]) -> None:
    """Every `${VAR}` of every file's requests is set, before anything runs (else exit 2)."""
    from resilience_cli.scenarios.runner import expanded_requests  # noqa: PLC0415

    for source, scenario in loaded:
        try:
            expanded_requests(scenario, os.environ)
        except ValueError as exc:
            raise UsageError(f"{source}: {exc}") from None


def _check_phases(loaded: list[tuple[str, Scenario]], base_url: str | None) -> None:
    """A stress step's phases against a target not ours: exit 2 before anything runs."""
    for source, scenario in loaded:
        url = base_url if base_url is not None else _scenario_url(scenario)
        phased = [
            step.name
            for _, step in scenario.sections()
            if step.stress is not None and step.stress.phases
        ]
        if url is not None and phased:
            raise UsageError(
                f"{source}: step {phased[0]!r}: fault phases change how the embedded upstream"
                " answers, not another server; drop --base-url (or RESILIENCE_BASE_URL, or the"
                " file's target URL) to use them"
            )


def _check_endpoints(loaded: list[tuple[str, Scenario]], base_url: str | None) -> None:
    """A file calling an endpoint only the embedded upstream has, elsewhere: exit 2, no call.

    Whether the target is the embedded upstream after all (`upstream serve`, maybe behind
    the proxy) is asked of its /health, once per URL, and only when it matters.
    """
    import asyncio  # noqa: PLC0415

    from resilience_cli.endpoints import first_embedded_only, is_embedded_upstream  # noqa: PLC0415
    from resilience_cli.redact import redact_url  # noqa: PLC0415

    known: dict[str, bool | None] = {}
    for source, scenario in loaded:
        url = base_url if base_url is not None else _scenario_url(scenario)
        found = None if url is None else first_embedded_only(scenario.called_paths())
        if url is None or found is None:
            continue
        if url not in known:
            known[url] = asyncio.run(is_embedded_upstream(url))
        if known[url] is False:  # None: nothing answered, so nothing to tell
            step, path, endpoint = found
            raise UsageError(
                f"{source}: step '{step}' calls {path}, and {redact_url(url)} has no"
                f" {endpoint} (only the embedded upstream does: run it without --base-url,"
                " or against `resilience upstream serve`)"
            )


def _run_all(  # noqa: PLR0913 - what each file's run needs
    loaded: list[tuple[str, Scenario]],
    *,
    seed: int | None,
    clock: Clock,
    out: ScenarioOutput,
    base_url: str | None,
    virtual_time: bool,
    prompt: Prompt | None,
    store_for: Callable[[Scenario], BreakerStore | RedisStore],
    log: EventLog,
    interruption: Interruption,
    recorder: Recorder | None,
    meter: RunMeter | None,
) -> list[ScenarioReport]:
    """Run each file in turn; an interruption stops the ones after it."""
    reports: list[ScenarioReport] = []
    for source, loaded_scenario in loaded:
        scenario = (
            loaded_scenario if seed is None else loaded_scenario.model_copy(update={"seed": seed})
        )
        report = _run_one(
            source,
            scenario,
            clock=clock,
            out=out,
            base_url=base_url,
            virtual_time=virtual_time,
            prompt=prompt,
            store=store_for(scenario),
            log=log,
            interruption=interruption,
            recorder=recorder,
            meter=meter,
        )
        reports.append(report)
        if report.exit_code == EXIT_INTERRUPTED:
            break
    return reports


def _say_why_a_step_could_not_run(reports: list[ScenarioReport]) -> None:
    """One `error:` line on stderr for the first step that could not run (exit 2 or 3).

    The report says it on stdout too; a CI log that keeps only stderr must see it as well.
    """
    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.measure import StepStatus  # noqa: PLC0415

    for report in reports:
        for step in report.steps:
            if step.status is StepStatus.ERROR:
                output.error(
                    f"{report.source}: step '{step.step.name}' could not run: {step.error}"
                )
                return


def _write_reports(
    reports: list[ScenarioReport],
    *,
    json: bool,
    junit: Path | None,
    interrupted_exit: int,
) -> None:
    """Every machine-readable report the flags and the environment ask for."""
    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.reporting.github import github_summary  # noqa: PLC0415
    from resilience_cli.reporting.junit import junit_xml  # noqa: PLC0415
    from resilience_cli.reporting.scenario_document import runs_document  # noqa: PLC0415

    if json:
        output.print_json(runs_document(reports, interrupted_exit=interrupted_exit))
    if junit is not None:
        _write(junit, junit_xml(reports))
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        _append(Path(summary_path), github_summary(reports))


def _open_run_log(
    log_file: Path,
    clock: Clock,
    recorder: TraceWriter | None,
    *,
    max_bytes: int,
    backups: int,
) -> EventLog:
    """The run's decision log; a path that cannot be one closes the trace and is exit 2."""
    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.eventlog import open_event_log  # noqa: PLC0415

    try:
        return open_event_log(
            log_file,
            clock=clock,
            run_id=uuid.uuid4().hex[:12],
            command="run",
            warn=output.note,
            max_bytes=max_bytes,
            backups=backups,
        )
    except OSError as exc:
        if recorder is not None:
            recorder.close()
        raise UsageError(f"--log-file {output.file_problem(log_file, exc)}") from None


def _run_one(  # noqa: PLR0913 - the collaborators of one run
    source: str,
    scenario: Scenario,
    *,
    clock: Clock,
    out: ScenarioOutput,
    base_url: str | None,
    virtual_time: bool,
    prompt: Prompt | None,
    store: BreakerStore | RedisStore,
    log: EventLog,
    interruption: Interruption,
    recorder: Recorder | None,
    meter: RunMeter | None = None,
) -> ScenarioReport:
    from resilience_cli.cli import output, runtime  # noqa: PLC0415
    from resilience_cli.cli.stress_watch import watcher_for  # noqa: PLC0415
    from resilience_cli.reporting.scenario import (  # noqa: PLC0415
        render_scenario_end,
        render_step,
        render_step_header,
    )
    from resilience_cli.scenarios.runner import run_scenario  # noqa: PLC0415

    url = base_url if base_url is not None else _scenario_url(scenario)
    switch = _fault_switch(scenario)

    def target_for(faults: LiveFaults | None = None) -> Target:
        target = runtime.choose_target(
            url, scenario.seed, clock, virtual_time=virtual_time, faults=faults
        )
        if switch is None:
            return target
        from resilience_cli.targets import ProxiedTarget  # noqa: PLC0415

        return ProxiedTarget(target, switch)

    target_for()  # check the URL and the flags before anything runs
    totals = {"steps": len(scenario.steps), "finally": len(scenario.finally_)}

    async def before_step(section: str, index: int, step: Step) -> None:
        out.show(
            lambda _, glyphs: render_step_header(
                section, index, totals[section], step, glyphs=glyphs
            )
        )
        if prompt is not None:
            await prompt.wait(out.console)

    def after_step(report: StepReport) -> None:
        out.show(lambda view, glyphs: render_step(report, glyphs=glyphs, view=view))
        out.end_slide()

    out.show(lambda _, __: _title(scenario))
    out.end_slide()
    described = {"requests": [spec.request().described() for spec in scenario.requests]}
    log.info(
        "scenario.started",
        file=source,
        title=scenario.title,
        seed=scenario.seed,
        **(described if scenario.requests else {}),
    )
    report = runtime.run(
        run_scenario(
            scenario,
            source=source,
            clock=clock,
            store=store,
            target_for=target_for,
            events=log,
            before_step=before_step,
            after_step=after_step,
            target=("proxy -> " if switch is not None else "")
            + _describe(url, virtual_time=virtual_time),
            virtual_time=virtual_time,
            note=output.note,
            log_line=log.info,
            environ=os.environ,
            faults=switch,
            recorder=recorder,
            meter=meter,
            watch=watcher_for,
        ),
        clock,
        interruption=interruption,
    )
    for verdict in report.verdicts:
        log.info(
            "expectation.passed" if verdict.passed else "expectation.failed",
            metric=verdict.metric,
            threshold=str(verdict.threshold),
            observed=verdict.observed_text,
            strict=verdict.strict,
        )
    log.info("scenario.finished", file=source, status=report.status.value)
    out.show(lambda view, glyphs: render_scenario_end(report, glyphs=glyphs, view=view))
    out.end_slide()
    return report


def _title(scenario: Scenario) -> Group:
    from rich.console import Group  # noqa: PLC0415

    from resilience_cli import palette  # noqa: PLC0415
    from resilience_cli.reporting.render import plain  # noqa: PLC0415

    title = plain(scenario.title, f"{palette.STRONG} underline")
    if not scenario.description:
        return Group(title)
    return Group(title, plain(scenario.description.strip(), "italic", multiline=True))


def _scenario_url(scenario: Scenario) -> str | None:
    return scenario.target_url


def _fault_switch(scenario: Scenario) -> FaultSwitch | None:
    """The faults of the proxy `target:` asks for, seeded by the scenario; else None."""
    proxied = scenario.proxied
    if proxied is None:
        return None
    from resilience_cli.proxy import FaultSwitch  # noqa: PLC0415

    return FaultSwitch(proxied.faults.profile(), scenario.seed)


def _describe(url: str | None, *, virtual_time: bool) -> str:
    from resilience_cli.redact import redact_url  # noqa: PLC0415

    if virtual_time:
        return "in-process"
    return "embedded" if url is None else redact_url(url)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        from resilience_cli.cli.output import file_problem  # noqa: PLC0415

        raise UsageError(f"cannot write {file_problem(path, exc)}") from None


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as file:
            file.write(text + "\n")
    except OSError as exc:
        raise UsageError(
            f"cannot append to GITHUB_STEP_SUMMARY {path}: {exc.strerror or exc}"
        ) from None


def register(app: typer.Typer) -> None:
    """Add `run` to `app`."""
    app.command(
        "run",
        epilog=(
            "Examples:\n\n  resilience run tour --interactive\n\n"
            "  resilience run scenarios/ci-smoke.yaml --virtual-time --junit out/junit.xml\n\n"
            "  resilience run tour --virtual-time --export tour.svg"
        ),
    )(run)
