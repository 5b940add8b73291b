"""`--phase`: fault phases from the command line, read into one `faults.Schedule`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resilience_cli.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resilience_cli.faults import Schedule


def schedule_of(texts: Sequence[str]) -> Schedule:
    """The `--phase` values as a schedule; a bad one is a usage error that names it."""
    from resilience_cli.faults import Schedule, parse_phase  # noqa: PLC0415

    try:
        return Schedule.of(parse_phase(text) for text in texts)
    except ValueError as exc:
        raise UsageError(f"--phase: {exc}") from None


def phase_help(who: str) -> str:
    """The help of `--phase`, one for every command that takes it: `who` applies the faults."""
    return (
        f"A fault phase, AT:FAULT, repeatable: from AT into the run, {who}"
        " answers with FAULT: healthy, status=CODE@CHANCE, delay=SECONDS@CHANCE (a chance left"
        " out is 1), or both joined by a comma: 10s:status=500@0.6, 25s:delay=3s@0.3, 40s:healthy."
    )


PHASE_HELP = phase_help("the embedded upstream")
