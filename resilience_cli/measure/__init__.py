"""Measurement: what runs and scenarios came to, fed one outcome at a time.

The layer both sides read: the run feeds it, scenarios judge from it, reporting renders
it. It holds numbers only, with no Rich, no httpx and nothing of the layers that use it
(a test checks the imports):

- `Latencies`: durations in a log-bucketed histogram: exact count, min and max, and
  nearest-rank percentiles within 0.5 % of the exact ones; mergeable. `percentile` is
  the exact nearest rank of a sorted list, the figure the histogram estimates.
- `RunTally`: a run's counters (calls by kind and endpoint, retries, attempts, reasons),
  fed each finished call as it ends; the run keeps no list of calls.
- `RunSummary` and `summarize`: the end-of-run numbers every report shows.
- `StepStatus` and `RunStatus`: how a scenario step and a scenario ended.

Memory is bounded by design: counters, and histograms of at most a few thousand
buckets, whatever the number of calls.
"""

from resilience_cli.measure.latencies import Latencies, percentile
from resilience_cli.measure.status import RunStatus, StepStatus
from resilience_cli.measure.summary import (
    EndpointRow,
    FinishedRun,
    Latency,
    RunSummary,
    achieved_rate,
    summarize,
)
from resilience_cli.measure.tally import EndpointTally, RunTally

__all__ = [
    "EndpointRow",
    "EndpointTally",
    "FinishedRun",
    "Latencies",
    "Latency",
    "RunStatus",
    "RunSummary",
    "RunTally",
    "StepStatus",
    "achieved_rate",
    "percentile",
    "summarize",
]
