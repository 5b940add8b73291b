"""`resilience compare`: replay one recorded trace through several presets, side by side."""

from __future__ import annotations

import gc
from pathlib import Path  # noqa: TC003 - Typer reads it at run time
from typing import Annotated, Final

import typer

from resilience_cli.cli.options import JsonOption  # noqa: TC001 - Typer reads it at run time
from resilience_cli.errors import UsageError
from resilience_cli.limits import MAX_SEED

_PRESETS_HELP: Final = (
    "Presets to compare, in order: ours, demo (alias seed), resilience4j, polly, pybreaker,"
    " hystrix; docs/patterns.md gives each value with its source."
)
_DEFAULT_PRESETS: Final = "ours,resilience4j,polly,pybreaker,hystrix"
_EXPORT_SUFFIXES: Final = (".svg", ".html")


def compare(  # noqa: PLR0913 - one flag per choice
    trace: Annotated[
        Path,
        typer.Argument(help="A trace written by --record (JSON lines).", show_default=False),
    ],
    *,
    preset: Annotated[str, typer.Option("--preset", "-p", help=_PRESETS_HELP)] = _DEFAULT_PRESETS,
    sweep: Annotated[
        str | None,
        typer.Option(
            "--sweep",
            help="One key at several values, each preset once per value:"
            " breaker.failure_threshold=3,5,10 (off for a key that may be off).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=MAX_SEED, help="Seed for the retries' jitter.")
    ] = 0,
    json: JsonOption = False,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            help="Also draw the table and the timelines to PATH.svg or PATH.html, for slides.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Replay a recorded trace through presets in virtual time and compare them side by side.

    Every preset faces the same upstream: each request is answered as the trace says the
    upstream answered at that time. The same trace and flags give the same numbers.
    """
    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.compare import compare as replay_all  # noqa: PLC0415
    from resilience_cli.compare import parse_presets, parse_sweep, variants  # noqa: PLC0415
    from resilience_cli.reporting.compare import (  # noqa: PLC0415
        comparison_document,
        render_comparison,
    )
    from resilience_cli.trace import read_trace  # noqa: PLC0415

    if export is not None and export.suffix not in _EXPORT_SUFFIXES:
        raise UsageError(f"--export {export}: the name must end in .svg or .html")
    chosen = variants(parse_presets(preset), None if sweep is None else parse_sweep(sweep))
    # Reading a trace and replaying it make hundreds of thousands of small tuples and no
    # reference cycles: the collector would walk them again and again for nothing (about
    # a fifth of the time, benchmarks/bench_compare.py).
    gc.disable()
    try:
        recorded = read_trace(trace)
        if not recorded.arrivals:
            raise UsageError(f"trace {trace}: no calls to replay")
        comparison = replay_all(recorded, chosen, seed=seed)
    finally:
        gc.enable()
    rendered = render_comparison(comparison)
    if json:
        output.print_json(comparison_document(comparison))
    else:
        output.show(rendered)
    if export is not None:
        _export(rendered, export, f"resilience compare {trace.name}")


def _export(rendered: object, path: Path, title: str) -> None:
    from rich.console import Group  # noqa: PLC0415

    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.export import ExportMode  # noqa: PLC0415
    from resilience_cli.export.deck import Deck  # noqa: PLC0415
    from resilience_cli.export.files import export_files  # noqa: PLC0415

    if not isinstance(rendered, Group):  # pragma: no cover - render_comparison makes one
        raise TypeError(type(rendered).__name__)
    deck = Deck()
    deck.add(rendered)
    for file, text in export_files(
        deck.slides, path, ExportMode.SINGLE, title=title, columns=deck.width
    ):
        try:
            file.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {output.file_problem(file, exc)}") from None


def register(app: typer.Typer) -> None:
    """Add `compare` to `app`."""
    app.command("compare")(compare)
