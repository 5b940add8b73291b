"""The `resilience` command line.

Thin on purpose: each command parses its flags, calls one async function on the clock's
event loop, renders, and maps errors to exit codes. Start-up is kept short three ways:
the group imports only the module of the command that runs (`cli.lazy`, from the table
in `cli.commands`); plain options are coerced without pydantic (`cli.lean_options`); and
heavy modules (httpx, Rich, the patterns) are imported inside the commands that use
them.

Exit codes: 0 ok; 1 an expectation or check failed; 2 usage error or invalid input (bad
flag, bad file, corrupt state file); 3 internal or infrastructure error; 130 interrupted
(143 by SIGTERM, 129 by SIGHUP).
Every error is one line on stderr, never a traceback (set RESILIENCE_DEBUG=1 to get one
for an internal error).
"""

from __future__ import annotations

import gc
import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from resilience_cli._version import __version__
from resilience_cli.cli.commands import COMMANDS
from resilience_cli.cli.lazy import LazyGroup
from resilience_cli.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, ResilienceError

if TYPE_CHECKING:
    from collections.abc import Sequence


class OneLineErrors(LazyGroup):
    """Every error the user sees is one line with its documented exit code.

    Its commands are those of `COMMANDS`, each imported when it runs.
    """

    entries = COMMANDS

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: object,
    ) -> object:
        """Run the command; turn every failure into `error: ...` and an exit code."""
        try:
            code = super().main(
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except typer.TyperException as exc:  # click's usage errors: bad flag, bad value
            if type(exc).__name__ == "NoArgsIsHelpError":
                code = 2  # the help is already on the screen
            else:
                command = getattr(getattr(exc, "ctx", None), "command_path", "resilience")
                _fail(f"{exc.format_message()} (see '{command} --help')", exc.exit_code)
        except ResilienceError as exc:
            _fail(str(exc), exc.exit_code)
        except (KeyboardInterrupt, typer.Abort):
            _fail("interrupted", EXIT_INTERRUPTED)
        except BrokenPipeError:
            # The reader went away (`| head`): not our error. Say nothing more, anywhere.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except Exception as exc:
            if os.environ.get("RESILIENCE_DEBUG"):
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL)
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> None:
    from resilience_cli.cli.output import error  # noqa: PLC0415

    error(message)
    sys.exit(code)


app = typer.Typer(
    name="resilience",
    cls=OneLineErrors,
    help=(
        "Show, measure and test resilience patterns: circuit breaker, rate limiter,"
        " bulkhead, timeout, retry and fallback.\n\n"
        "Each call goes through them in this order, outermost first: fallback, bulkhead,"
        " total deadline, retry, circuit breaker, rate limiter, attempt timeout, HTTP."
        " `resilience explain` says why."
    ),
    epilog=(
        "Classroom: resilience error -n 20 && resilience state && resilience invoke -n 5\n\n"
        "Exit codes: 0 ok, 1 check failed, 2 bad input, 3 internal error, 130 interrupted"
        " (143 SIGTERM, 129 SIGHUP)."
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


def main() -> None:
    """Entry point of the `resilience` console script."""
    from resilience_cli.glyphs import use_ascii_stand_ins  # noqa: PLC0415

    use_ascii_stand_ins()
    try:
        app()
    finally:
        # On its way out the interpreter collects garbage through every object it made,
        # Typer's and Rich's included: a fifth of `resilience state`'s time. Frozen objects
        # are skipped by the collector and still freed as their modules go. Everything that
        # holds a file or a connection is closed by then, by the command that opened it.
        gc.freeze()
