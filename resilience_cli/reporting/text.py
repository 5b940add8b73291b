"""The small pieces every report is made of: outside text, states, transitions, numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from rich.text import Text

from resilience_cli import palette
from resilience_cli.patterns import BreakerState
from resilience_cli.printable import shown

if TYPE_CHECKING:
    from resilience_cli.glyphs import Glyphs
    from resilience_cli.measure import RunSummary

STATE_STYLES: Final = {
    BreakerState.CLOSED: palette.GOOD,
    BreakerState.OPEN: palette.BAD,
    BreakerState.HALF_OPEN: palette.CAUTION,
    BreakerState.FORCED_OPEN: palette.FORCED,
}


def state_text(state: BreakerState) -> Text:
    """The state's name, upper case, in its colour."""
    return Text(state.value.upper(), style=STATE_STYLES[state])


def plain(text: object, style: str = "", *, multiline: bool = False) -> Text:
    """Outside text (a name, a reason, a URL) as Rich text: never markup, nothing hidden."""
    return Text(shown(text, multiline=multiline), style=style)


def transition_text(from_state: BreakerState, to_state: BreakerState, glyphs: Glyphs) -> Text:
    """`CLOSED → OPEN`, each state in its colour."""
    return Text.assemble(state_text(from_state), f" {glyphs.arrow} ", state_text(to_state))


def milliseconds(value: float) -> str:
    """`0.4`, `12.5`, `212`: a tenth below 100 ms, whole milliseconds above."""
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def counted(value: int, style: str) -> Text:
    """A count in `style` when it is not zero: a zero needs no colour to be read."""
    return Text(str(value), style=style if value else "")


def interrupted_line(summary: RunSummary) -> str:
    """What an interrupted run's summary says it covers: calls finished, and calls cut."""
    finished = f"{summary.total.calls} of {summary.planned} calls finished"
    if not summary.cut_short:
        return f"interrupted: {finished}; state saved"
    return (
        f"interrupted: {finished}, {summary.cut_short} cut short (their failed attempts are"
        " counted above); state saved"
    )
