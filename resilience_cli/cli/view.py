"""`--view compact|full`: the option every command that prints a summary shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Final

import typer

from resilience_cli.view import View, default_view

if TYPE_CHECKING:
    from rich.console import Console

VIEW_ENV: Final = "RESILIENCE_VIEW"

ViewOption = Annotated[
    View | None,
    typer.Option(
        "--view",
        envvar=VIEW_ENV,
        case_sensitive=False,
        help=(
            "compact: each step's headline in about 15 lines, for a projector;"
            " full: every table. By default compact on a terminal of fewer than 40 rows,"
            " full elsewhere (and always when piped, so logs keep every number)."
        ),
        rich_help_panel="Output and state",
        show_default=False,
    ),
]


def chosen_view(asked: View | None, console: Console) -> View:
    """The view asked for, else the one that suits where `console` prints."""
    if asked is not None:
        return asked
    return default_view(is_terminal=console.is_terminal, rows=console.height)
