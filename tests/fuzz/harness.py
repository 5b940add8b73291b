"""Running a command on a damaged file: bounded in time, and judged by what must always hold.

Budget: `make check` runs each fuzz test for a few seconds. `RESILIENCE_FUZZ_SCALE=N`
multiplies every test's examples by N (and its pytest timeout with them), for a nightly
job that explores with `HYPOTHESIS_PROFILE=explore`; see the README's Development section.
The example counts are set here rather than in a hypothesis profile because each test
needs its own (a `run` costs ten `validate`s), and an explicit `max_examples` on a test
would override any profile.
"""

from __future__ import annotations

import _thread
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from resilience_cli.cli import app

if TYPE_CHECKING:
    from pathlib import Path

    from click.testing import Result

SCALE: Final = max(1, int(os.environ.get("RESILIENCE_FUZZ_SCALE", "1") or "1"))
# A fuzzed command takes 30 to 300 ms; one still running after this has hung.
WATCHDOG_SECONDS: Final = 30.0
ALLOWED_EXIT_CODES: Final = frozenset({0, 1, 2})
FORBIDDEN: Final = ("Traceback", "internal error")
# Nothing from the test's own environment may reach the command under test.
CLEAN_ENV: Final = {
    "RESILIENCE_STATE_FILE": None,
    "RESILIENCE_LOG_FILE": None,
    "RESILIENCE_BASE_URL": None,
    "RESILIENCE_DEBUG": None,
    "RESILIENCE_VIEW": None,
    "GITHUB_STEP_SUMMARY": None,
    "COLUMNS": "100",
}

runner = CliRunner()


def fuzz_settings(examples: int) -> settings:
    """`examples` in `make check`, times RESILIENCE_FUZZ_SCALE; the profile decides the rest.

    No deadline: a `run` takes a few hundred milliseconds, and the watchdog catches hangs.
    """
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@dataclass(frozen=True)
class Outcome:
    """What a command did: its result, and whether the watchdog had to stop it."""

    result: Result
    hung: bool


def invoke(args: list[str], env: dict[str, str] | None = None) -> Outcome:
    """Run `resilience ARGS` in this process; Ctrl-C it, again and again, if it hangs.

    The watchdog interrupts the main thread the way Ctrl-C does: the command then exits 130
    (or its event loop is cancelled), and the check below reports the hang.
    """
    done = threading.Event()
    hung = threading.Event()

    def watch() -> None:
        while not done.wait(WATCHDOG_SECONDS):
            hung.set()
            _thread.interrupt_main()

    watchdog = threading.Thread(target=watch, daemon=True)
    watchdog.start()
    try:
        result = runner.invoke(app, args, env={**CLEAN_ENV, **(env or {})})
    finally:
        done.set()
        watchdog.join()
    return Outcome(result, hung.is_set())


@dataclass(frozen=True)
class FileMark:
    """A file's bytes and modification time, or its absence."""

    data: bytes | None
    mtime_ns: int | None

    @classmethod
    def of(cls, path: Path) -> FileMark:
        try:
            return cls(path.read_bytes(), path.stat().st_mtime_ns)
        except FileNotFoundError:
            return cls(None, None)


def check(outcome: Outcome, args: list[str]) -> None:
    """Exit 0, 1 or 2; never a traceback, an escaped exception or an internal error.

    Exit 2 comes with `error: ...` on stderr, except from `run`, whose report says which
    step could not run and why, and from `--json`, whose document does.
    """
    result = outcome.result
    shown = f"resilience {' '.join(args)}\nexit {result.exit_code}\n{result.stdout}{result.stderr}"
    assert not outcome.hung, f"still running after {WATCHDOG_SECONDS:g} s:\n{shown}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{shown}"
    )
    assert result.exit_code in ALLOWED_EXIT_CODES, shown
    for text in FORBIDDEN:
        assert text not in result.stdout, shown
        assert text not in result.stderr, shown
    if result.exit_code == 2 and "--json" not in args and args[0] != "run":
        assert result.stderr.startswith("error: "), shown


def check_untouched(before: FileMark, after: FileMark, args: list[str]) -> None:
    """The state file is as it was: the same bytes, the same mtime (or still absent)."""
    assert after == before, f"resilience {' '.join(args)} changed the state file"
