"""Pure functions from a run's results to what people and machines read.

`summarize` turns a `RunResult` into a `RunSummary`; `render_summary` makes Rich
renderables of it and `summary_document` a versioned JSON document. Nothing here prints:
only commands do.

Names load on first use (PEP 562), so `resilience state`, which draws one panel, does
not pay for the run summary's modules. Type checkers see ordinary imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from resilience_cli.reporting.document import (
        RUN_SCHEMA,
        breaker_document,
        summary_document,
    )
    from resilience_cli.reporting.render import render_breaker, render_summary
    from resilience_cli.reporting.summary import (
        EndpointRow,
        Latency,
        RunSummary,
        percentile,
        summarize,
    )

_HOMES: dict[str, str] = {
    "RUN_SCHEMA": "resilience_cli.reporting.document",
    "EndpointRow": "resilience_cli.reporting.summary",
    "Latency": "resilience_cli.reporting.summary",
    "RunSummary": "resilience_cli.reporting.summary",
    "breaker_document": "resilience_cli.reporting.document",
    "percentile": "resilience_cli.reporting.summary",
    "render_breaker": "resilience_cli.reporting.render",
    "render_summary": "resilience_cli.reporting.render",
    "summarize": "resilience_cli.reporting.summary",
    "summary_document": "resilience_cli.reporting.document",
}


def __getattr__(name: str) -> object:
    """Import a public name from its module the first time it is asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


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
