"""`run --export`: check the flags up front, collect the slides, write the files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Final

import typer

from resilience_cli.errors import UsageError
from resilience_cli.export import ExportMode

if TYPE_CHECKING:
    from pathlib import Path

    from resilience_cli.cli.scenario_output import ScenarioOutput
    from resilience_cli.view import View

EXPORT_SUFFIXES: Final = (".svg", ".html", ".txt")

ExportModeOption = Annotated[
    ExportMode | None,
    typer.Option(
        "--export-mode",
        case_sensitive=False,
        help=(
            "slides: one 1920x1080 slide per step (tour-01.svg, tour-02.svg, ...; one page"
            " of slides for .html), in the compact view; single: the whole report as one"
            " long image, in the full view. By default slides, and single for .txt."
        ),
        show_default=False,
    ),
]


def export_mode(path: Path | None, asked: ExportMode | None) -> ExportMode:
    """The mode for `--export PATH`, or a usage error for a name or mode that cannot be."""
    if path is None:
        if asked is not None:
            raise UsageError("--export-mode: give --export PATH too")
        return ExportMode.SINGLE
    if path.suffix not in EXPORT_SUFFIXES:
        raise UsageError(f"--export {path}: the name must end in .svg, .html or .txt")
    if path.suffix == ".txt":
        if asked is ExportMode.SLIDES:
            raise UsageError(
                f"--export {path}: a text export is one file; slides are .svg or .html"
            )
        return ExportMode.SINGLE
    return asked or ExportMode.SLIDES


def scenario_output(
    *, json: bool, export: Path | None, mode: ExportMode, view: View | None
) -> ScenarioOutput:
    """The terminal (unless --json) in its view, and the slides of an export in theirs.

    Slides default to the compact view, which fits a step on one; the single long image
    to the full one, as it always was. `--view` sets both.
    """
    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.cli.scenario_output import ScenarioOutput, Screen  # noqa: PLC0415
    from resilience_cli.cli.view import chosen_view  # noqa: PLC0415
    from resilience_cli.glyphs import glyphs_for  # noqa: PLC0415
    from resilience_cli.view import View  # noqa: PLC0415

    screen = None
    if not json:
        console = output.stdout()
        screen = Screen(console, chosen_view(view, console), glyphs_for(console.encoding))
    deck = None
    if export is not None:
        from resilience_cli.export.deck import Deck  # noqa: PLC0415

        deck = Deck()
    slides_view = View.COMPACT if mode is ExportMode.SLIDES else View.FULL
    return ScenarioOutput(screen, deck, view or slides_view)


def write_export(out: ScenarioOutput, path: Path, mode: ExportMode, title: str) -> None:
    """Write the slides (or the page) of `out` for `--export PATH`, and say what was written."""
    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.export.files import export_files  # noqa: PLC0415

    if out.deck is None:
        return
    files = export_files(out.deck.slides, path, mode, title=title, columns=out.deck.width)
    for file, text in files:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {output.file_problem(file, exc)}") from None
    if len(files) > 1:
        output.note(f"wrote {len(files)} slides: {files[0][0]} to {files[-1][0]}")
        stale = _stale_slides(path, {file for file, _ in files})
        if stale:
            # Not deleted: the files are the user's, even if an earlier export made them.
            output.note(
                f"{len(stale)} older slide(s) beside them are not from this run and were left"
                f" as they were: {', '.join(str(file) for file in stale[:3])}"
                + (", ..." if len(stale) > 3 else "")
            )


def _stale_slides(path: Path, written: set[Path]) -> list[Path]:
    """Files named as slides of `path` (`tour-NN.svg`) that this export did not write."""
    import re  # noqa: PLC0415

    numbered = re.compile(rf"{re.escape(path.stem)}-\d{{2,}}{re.escape(path.suffix)}")
    folder = path.parent
    try:
        names = sorted(child.name for child in folder.iterdir())
    except OSError:
        return []
    return [
        folder / name for name in names if numbered.fullmatch(name) and folder / name not in written
    ]
