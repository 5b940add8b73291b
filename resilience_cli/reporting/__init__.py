"""Pure functions from what was measured to what people and machines read.

`render_summary` makes Rich renderables of a `measure.RunSummary` and `summary_document`
a versioned JSON document; `reporting.scenario` and its siblings do the same for a
scenario run. Reporting renders and never judges: the numbers come from `measure`, the
verdicts from `scenarios`. Nothing here prints: only commands do.

Names load on first use (PEP 562), so `resilience state`, which draws one panel, does
not pay for the run summary's modules. Type checkers see ordinary imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resilience_cli.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from resilience_cli.reporting.document import (
        RUN_SCHEMA,
        breaker_document,
        summary_document,
    )
    from resilience_cli.reporting.render import render_breaker, render_summary

_HOMES: dict[str, str] = {
    "RUN_SCHEMA": "resilience_cli.reporting.document",
    "breaker_document": "resilience_cli.reporting.document",
    "render_breaker": "resilience_cli.reporting.render",
    "render_summary": "resilience_cli.reporting.render",
    "summary_document": "resilience_cli.reporting.document",
}


__getattr__ = lazy_exports(__name__, _HOMES, globals())


__all__ = [
    "RUN_SCHEMA",
    "breaker_document",
    "render_breaker",
    "render_summary",
    "summary_document",
]
