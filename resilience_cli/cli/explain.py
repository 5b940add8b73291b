"""`resilience explain`: the order in which the patterns wrap each call, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer


def explain() -> None:
    """Print the order in which the patterns wrap each call, and why."""
    from resilience_cli.cli import output  # noqa: PLC0415 - keep start-up light
    from resilience_cli.patterns import pipeline  # noqa: PLC0415

    output.text((pipeline.__doc__ or "").strip())


def register(app: typer.Typer) -> None:
    """Add `explain` to `app`."""
    app.command("explain")(explain)
