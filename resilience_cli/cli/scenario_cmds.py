"""`validate`, `scenarios` and `schema`: scenario files read, listed and described.

Also where a scenario is found by name or path (`resolve`, `load_all`), which `run`
(`cli/scenario_run.py`) shares.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from resilience_cli.cli.options import JsonOption  # noqa: TC001 - Typer reads it at run time
from resilience_cli.errors import UsageError

if TYPE_CHECKING:
    from resilience_cli.scenarios import Scenario

SHIPPED: Final = Path(__file__).resolve().parent.parent / "scenarios" / "shipped"

Files = Annotated[
    list[str],
    typer.Argument(
        help="Scenario files, or names of shipped scenarios (see `resilience scenarios`).",
        show_default=False,
    ),
]


def resolve(name: str) -> Path:
    """A path as given, or a shipped scenario by name (`tour`, `tour.yaml`)."""
    path = Path(name)
    if path.exists() or path.parent != Path():
        return path
    shipped = SHIPPED / (name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")
    return shipped if shipped.exists() else path


def shipped_names() -> list[str]:
    """The names `resilience run NAME` finds, sorted."""
    return sorted(path.stem for path in SHIPPED.glob("*.yaml"))


def _load(name: str) -> tuple[Path, Scenario | list[str]]:
    """The file `name` resolves to, and its scenario or its problems (one line each).

    A bare name that is neither a file nor a shipped scenario lists the shipped ones.
    """
    from resilience_cli.scenarios import ScenarioError, load_scenario  # noqa: PLC0415

    path = resolve(name)
    try:
        return path, load_scenario(path)
    except ScenarioError as exc:
        problems = [str(problem) for problem in exc.problems]
    if not path.exists() and path.parent == Path():
        problems.append(f"{name}: not a shipped scenario either: {', '.join(shipped_names())}")
    return path, problems


def load_all(names: list[str]) -> list[tuple[str, Scenario]]:
    """Load every file first, so that a bad one stops the run before anything ran.

    Each comes with its name as the user gave it (`tour`, `scenarios/tour.yaml`): reports
    name that, never the package's copy of a shipped scenario.
    """
    loaded: list[tuple[str, Scenario]] = []
    problems: list[str] = []
    for name in names:
        _, scenario = _load(name)
        if isinstance(scenario, list):
            problems += scenario
        else:
            loaded.append((name, scenario))
    if problems:
        raise UsageError("\n".join(problems))
    return loaded


def step_count(scenario: Scenario) -> str:
    """`10 steps + 1 finally`: what `scenarios` and `validate` both say."""
    steps = f"{len(scenario.steps)} step{'' if len(scenario.steps) == 1 else 's'}"
    return f"{steps} + {len(scenario.finally_)} finally" if scenario.finally_ else steps


def validate(files: Files, *, json: JsonOption = False) -> None:
    """Check scenario files without running them; exit 2 with file:line:col problems."""
    from resilience_cli.cli import output  # noqa: PLC0415

    results: list[dict[str, object]] = []
    bad = 0
    for name in files:
        _, scenario = _load(name)
        if isinstance(scenario, list):
            bad += 1
            results.append({"file": name, "valid": False, "problems": scenario})
            if not json:
                output.error("\n".join(scenario))
            continue
        expectations = sum(len(step.expectations) for _, step in scenario.sections())
        # Named as the user named it (`tour`), as `run` and JUnit do; problems, above,
        # point into the file that was read, for an editor to open.
        results.append(
            {
                "file": name,
                "valid": True,
                "steps": len(scenario.steps),
                "finally": len(scenario.finally_),
                "expectations": expectations,
            }
        )
        if not json:
            output.show(
                f"ok: {name}: {scenario.title}"
                f" ({step_count(scenario)}, {expectations} expectations)"
            )
    if json:
        output.print_json({"schema": "resilience-cli/validate", "version": 1, "files": results})
    if bad:
        raise typer.Exit(2)


def scenarios(*, json: JsonOption = False) -> None:
    """List the shipped scenarios with their titles; run one with `resilience run NAME`."""
    from rich.table import Table  # noqa: PLC0415

    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.reporting.render import plain  # noqa: PLC0415
    from resilience_cli.scenarios import load_scenario  # noqa: PLC0415

    loaded = [(path, load_scenario(path)) for path in sorted(SHIPPED.glob("*.yaml"))]
    if json:
        output.print_json(
            {
                "schema": "resilience-cli/scenarios",
                "version": 1,
                "scenarios": [
                    {
                        "name": path.stem,
                        "title": scenario.title,
                        "steps": len(scenario.steps),
                        "finally": len(scenario.finally_),
                        "path": str(path),
                    }
                    for path, scenario in loaded
                ],
            }
        )
        return
    table = Table(title="Shipped scenarios (resilience run NAME)", title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("title")
    table.add_column("steps", justify="right", no_wrap=True)
    for path, scenario in loaded:
        table.add_row(path.stem, plain(scenario.title), step_count(scenario))
    output.show(table)


def schema() -> None:
    """Print the JSON Schema of scenario files, for editors with a YAML language server."""
    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.scenarios import scenario_json_schema  # noqa: PLC0415

    output.print_json(scenario_json_schema())


def register(app: typer.Typer) -> None:
    """Add `validate`, `scenarios` and `schema` to `app`."""
    app.command("validate", epilog="Example:\n\n  resilience validate scenarios/*.yaml")(validate)
    app.command("scenarios")(scenarios)
    app.command(
        "schema",
        epilog="Example:\n\n  resilience schema > scenario.schema.json",
    )(schema)
