"""The `resilience` command line.

Thin on purpose: each command parses its flags, calls one async function with
`asyncio.run`, renders, and maps errors to exit codes. Heavy modules (httpx, structlog,
the patterns) are imported inside the commands that use them, so `--help` and
`--version` start fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from resilience_cli._version import __version__

app = typer.Typer(
    name="resilience",
    help=(
        "Show, measure and test resilience patterns: circuit breaker, rate limiter,"
        " bulkhead, timeout, retry and fallback.\n\n"
        "Each call goes through them in this order, outermost first: fallback, bulkhead,"
        " total deadline, retry, rate limiter, circuit breaker, attempt timeout, HTTP."
        " `resilience explain` says why."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"resilience {__version__}")
        raise typer.Exit


@app.callback()
def root(
    *,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Global options; the app's help text lives on the Typer object."""
    del version


@app.command()
def explain() -> None:
    """Print the order in which the patterns wrap each call, and why."""
    from resilience_cli.patterns import pipeline  # noqa: PLC0415 - keep start-up light

    typer.echo((pipeline.__doc__ or "").strip())


def main() -> None:
    """Entry point of the `resilience` console script."""
    app()
