"""Pure functions from what was measured to what people and machines read.

`render_summary` makes Rich renderables of a `measure.RunSummary` and `summary_document`
a versioned JSON document; `reporting.scenario` and its siblings do the same for a
scenario run. Reporting renders and never judges: the numbers come from `measure`, the
verdicts from `scenarios`. Nothing here prints: only commands do.
"""

from resilience_cli.reporting.document import RUN_SCHEMA, breaker_document, summary_document
from resilience_cli.reporting.render import render_breaker, render_summary

__all__ = [
    "RUN_SCHEMA",
    "breaker_document",
    "render_breaker",
    "render_summary",
    "summary_document",
]
