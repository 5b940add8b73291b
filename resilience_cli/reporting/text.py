"""The small pieces every report is made of: outside text, states, transitions, numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from rich.measure import Measurement
from rich.text import Text

from resilience_cli import palette
from resilience_cli.patterns import BreakerState
from resilience_cli.printable import shown

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console, ConsoleOptions, RenderResult

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


class Packed:
    """Parts joined by a separator, a line broken only between two parts.

    `pacing  peak in flight 1 · ... · 3,769.8 calls/s in 0.001 s` must not end a line with
    `0.001` and start the next with `s`: a part stays whole, and the next part goes to the
    next line when it does not fit. A part wider than the whole line folds.
    """

    def __init__(self, parts: Sequence[str], separator: str) -> None:
        self.parts = tuple(parts)
        self.separator = separator

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        """As narrow as the widest part, as wide as all of them on one line."""
        widest = max((Text(part).cell_len for part in self.parts), default=0)
        return Measurement(widest, Text(self.separator.join(self.parts)).cell_len)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """Each line as full as the width allows."""
        lines: list[str] = []
        for part in self.parts:
            joined = f"{lines[-1]}{self.separator}{part}" if lines else part
            if lines and Text(joined).cell_len <= options.max_width:
                lines[-1] = joined
            else:
                lines.append(part)
        yield Text("\n".join(lines), overflow="fold")
