"""Where a scenario run's report goes: the terminal, the slides, both, or nowhere.

Each place has its own view and symbols: a 30-row terminal gets the compact view while
a CI log gets the full one, and a cp1252 console gets ASCII arrows while a slide, which
carries its own font, keeps `→`. So the report is rendered once per place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from resilience_cli.glyphs import UNICODE

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from resilience_cli.export.deck import Deck
    from resilience_cli.glyphs import Glyphs
    from resilience_cli.view import View


class Render(Protocol):
    """Draws one part of the report for a view and a set of symbols."""

    def __call__(self, view: View, glyphs: Glyphs) -> RenderableType:
        """The part, drawn in `view` with `glyphs`."""
        ...


@dataclass(frozen=True, slots=True)
class Screen:
    """The terminal (or the pipe) and how it shows the report."""

    console: Console
    view: View
    glyphs: Glyphs


@dataclass(frozen=True, slots=True)
class ScenarioOutput:
    """The report's destinations; `deck` collects the slides of an `--export`."""

    screen: Screen | None
    deck: Deck | None
    deck_view: View

    @property
    def console(self) -> Console | None:
        """The terminal's console, for what is said to the presenter alone (prompts)."""
        return None if self.screen is None else self.screen.console

    def show(self, render: Render) -> None:
        """Draw a part of the report in every destination."""
        if self.screen is not None:
            self.screen.console.print(render(self.screen.view, self.screen.glyphs))
        if self.deck is not None:
            self.deck.add(render(self.deck_view, UNICODE))

    def end_slide(self) -> None:
        """What was shown since the last cut is one slide."""
        if self.deck is not None:
            self.deck.cut()
