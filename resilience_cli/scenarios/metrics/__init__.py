"""The metric namespace that scenario expectations name, and how a threshold is judged.

A scenario step's `expect:` maps metric names to thresholds (`latency: ["p(95) < 300ms"]`,
`breaker.state: open`). This package is the one place that says which names exist, what
kind of number each is, which aggregations fit it, and what a step measured. Everything
is a pure function of a step's results, so the runner, the loader's static checks, the
reports and the README's table all read the same definitions. One module per job: the
kinds (`_kinds`), the names (`_namespace`), which thresholds fit which names
(`_pairing`), what a step measured (`_measured`) and the judging (`_verdicts`).

Metric kinds and their aggregations:

| Kind | Aggregations | Units in thresholds |
|---|---|---|
| Counter | `count`; `rate` (a share); `value` (= count) | `rate`: `%` or none |
| Trend | `count`, `avg`, `min`, `med`, `max`, `p(N)` | `ms`, `s`, `m`; none means ms (k6) |
| Gauge | `value` | durations: `ms`, `s` or `m`, required; others: none |
| Label | `value`, with `==` or `!=` only | a word |
| States | `value`, with `==` (one of them) or `!=` (none of them) | a word |

A Counter's `rate` is count / total, a share of the step's calls rather than k6's events
per second (that is `throughput`), and 0 when there were no calls. `p(N)` is the nearest
rank (read from a histogram, within 0.5 % of the exact value; `min`, `max` and `count`
are exact), and `med` is `p(50)`: the same figures as the run summary's p50/p95/p99
columns.
A bare scalar expectation means `value == <scalar>`, so `calls: 20` checks the count.
A Trend with no samples has no data, and its thresholds fail, as in k6.

The namespace (steps: *calls* = `invoke`, `delay`, `error` and `stress`; *all* = every
step kind; under `stress`, `latency` counts from each call's scheduled arrival):

| Metric | Kind | Steps | What it holds |
|---|---|---|---|
| `calls` | Counter | calls | calls made; total = calls |
| `outcome.success` | Counter | calls | calls whose first attempt succeeded; total = calls |
| `outcome.recovered` | Counter | calls | calls that succeeded on a retry |
| `outcome.fallback` | Counter | calls | calls the fallback answered |
| `outcome.failed` | Counter | calls | calls that failed with no fallback configured |
| `outcome.ok` | Counter | calls | `outcome.success` + `outcome.recovered` |
| `fallback.<reason>` | Counter | calls | calls that fell back (or failed) for `<reason>` |
| `attempts` | Gauge | calls | attempts made, first attempts included |
| `attempts.per_call` | Gauge | calls | attempts / calls |
| `attempts.failed.<reason>` | Gauge | calls | failed attempts for `<reason>` |
| `retries` | Gauge | calls | attempts after the first |
| `retries.per_call` | Gauge | calls | retries / calls |
| `latency` | Trend | calls | whole-call durations, retries and fallbacks included |
| `latency.<endpoint>` | Trend | calls | the same for one endpoint, e.g. `latency./get` |
| `concurrency.peak` | Gauge | calls | most calls in flight at once |
| `bulkhead.peak` | Gauge | calls | most calls inside the bulkhead (when it is on) |
| `bulkhead.queued_peak` | Gauge | calls | most calls queued for it (when it is on) |
| `rate_limiter.waits` | Gauge | calls | token requests that had to wait (when the limiter is on) |
| `throughput` | Gauge | calls | calls per second of elapsed time (no data when none passed) |
| `breaker.state` | Label | all | the breaker's state after the step |
| `breaker.state_before` | Label | all | its state before the step |
| `breaker.fail_count` | Gauge | all | consecutive failures after the step |
| `breaker.transitions` | Gauge | all | state changes during the step |
| `breaker.opened` | Gauge | all | changes into `open` during the step |
| `breaker.half_opened` | Gauge | all | changes into `half_open` |
| `breaker.closed` | Gauge | all | changes into `closed` |
| `breaker.forced_open` | Gauge | all | changes into `forced_open` |
| `elapsed` | Gauge, duration | all | the step's duration |
| `arrivals` | Counter | stress | arrivals scheduled; total = arrivals |
| `dropped` | Counter | stress | arrivals dropped at `max_in_flight`; total = arrivals |
| `lateness` | Trend | stress | how late each arrival was launched |

A `stress` step may also name a metric over a window of its run (`_windows.py`):
`name[A..B]` from A to B seconds in (`breaker.state[10s..25s]: open`), or `name[last N]`,
the last N seconds of the arrivals and on to the end (`fallback.breaker_open[last 10s]:
rate == 0`). Over a window, `arrivals` and `dropped` count the arrivals scheduled in it,
`calls`, `outcome.*`, `fallback.<reason>` and `latency` the calls that ended in it (their
total: those calls), `breaker.transitions`, `.opened`, ... the changes in it, and
`breaker.state` is States: the state the breaker was in when the window began, then
each it moved to, so `== open` holds if it was open at some point in the window.

A `compare` step measures `preset.<name>.<field>` for each preset it replayed, and
`elapsed` (`_presets.py` lists the fields); a number there may be compared with another
(`value < preset.pybreaker.let_through`).

Every `<reason>` is present, zero counts too, so `fallback.rate_limited: ["count == 0"]`
always has data. `<reason>` is one of `timeout`, `deadline_exceeded`, `http_5xx`, `http_429`,
`unexpected_status`, `connect_error`, `breaker_open`, `bulkhead_full`, `rate_limited`,
`error`. The breaker states are `closed`, `open`, `half_open` and `forced_open`.
"""

from resilience_cli.scenarios.metrics._kinds import (
    Counter,
    Gauge,
    Label,
    Metric,
    MetricKind,
    Metrics,
    States,
    Trend,
)
from resilience_cli.scenarios.metrics._measured import breaker_step_metrics, call_step_metrics
from resilience_cli.scenarios.metrics._namespace import (
    NAMESPACE,
    MetricSpec,
    known_metric,
    metric_names,
)
from resilience_cli.scenarios.metrics._pairing import check_pairing
from resilience_cli.scenarios.metrics._presets import compare_step_metrics
from resilience_cli.scenarios.metrics._stress import stress_step_metrics, windows_of
from resilience_cli.scenarios.metrics._verdicts import Verdict, evaluate
from resilience_cli.scenarios.metrics._windows import WINDOWED, WindowSpec, split_window

__all__ = [
    "NAMESPACE",
    "WINDOWED",
    "Counter",
    "Gauge",
    "Label",
    "Metric",
    "MetricKind",
    "MetricSpec",
    "Metrics",
    "States",
    "Trend",
    "Verdict",
    "WindowSpec",
    "breaker_step_metrics",
    "call_step_metrics",
    "check_pairing",
    "compare_step_metrics",
    "evaluate",
    "known_metric",
    "metric_names",
    "split_window",
    "stress_step_metrics",
    "windows_of",
]
