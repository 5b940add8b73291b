"""Pure functions from a run's results to what people and machines read.

`summarize` turns a `RunResult` into a `RunSummary`; `render_summary` makes Rich
renderables of it and `summary_document` a versioned JSON document. Nothing here prints:
only commands do.
"""

from resilience_cli.reporting.document import RUN_SCHEMA, breaker_document, summary_document
from resilience_cli.reporting.render import render_breaker, render_summary
from resilience_cli.reporting.summary import (
    EndpointRow,
    Latency,
    RunSummary,
    percentile,
    summarize,
)

__all__ = [
    "RUN_SCHEMA",
    "EndpointRow",
    "Latency",
    "RunSummary",
    "breaker_document",
    "percentile",
    "render_breaker",
    "render_summary",
    "summarize",
    "summary_document",
]
