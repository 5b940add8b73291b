"""Circuit breaker: CLOSED, OPEN, HALF_OPEN and FORCED_OPEN.

Semantics (docs/patterns.md, "Circuit breaker", lists every key and default, and where
they differ from Resilience4j's):

- CLOSED admits every call. It opens on `failure_threshold` consecutive failures, **or**
  when, over the last `window_size` calls and once `minimum_calls` have been seen, the
  failure rate or the slow-call rate reaches its threshold (Resilience4j's `>=`). The
  rules are checked on every recorded outcome, successes included: a success that brings
  the window up to `minimum_calls` makes a rate computable for the first time.
- OPEN rejects every call without running it. Once `open_for` seconds have passed (`>=`),
  the next look at the breaker shows it HALF_OPEN. Nothing else starts then: the first
  admitted probe is what starts the half-open clock, so a look changes no decision.
- HALF_OPEN admits at most `half_open_max_calls` probes in all; the rest are rejected at
  once. The first failed (or slow) probe re-opens the breaker; when every probe has
  succeeded it closes. If no verdict comes within `half_open_max_wait` of the first
  admitted probe (a probe hangs), it re-opens, dated from when that wait ran out, so a
  stuck probe cannot wedge it.
- FORCED_OPEN rejects everything until `reset()`.

Each admitted call carries a permit: the breaker's epoch when it was admitted. Every
transition and every `reset()` starts a new epoch, so a result that arrives late from an
earlier state (a probe that outlived its half-open period) is ignored instead of deciding
for the new one. `record()` applies the transitions that time has made due before it
counts, so a probe that answers after `half_open_max_wait` cannot close the breaker.

The package's modules, each with one job:

- `_values.py`: the configuration, the states, the records a breaker hands out, and
  `SavedBreaker`, what a saved breaker holds (the state store keeps it as a memento);
- `_rules.py`: the decisions themselves (`trip_reason`, `open_remaining`,
  `elapsed_since`), pure functions of numbers, tested by table;
- `_transitions.py`: the steps (admit, count, give back, make due, force open, reset)
  over a small record of the breaker's state, which read no clock and do no I/O: the
  Redis store runs the same steps in a Lua script;
- `_machine.py`: `CircuitBreaker`, which keeps a record and applies the steps to it.
"""

from resilience_cli.patterns.breaker._machine import CircuitBreaker
from resilience_cli.patterns.breaker._rules import (
    elapsed_since,
    open_remaining,
    rate_reason,
    trip_reason,
)
from resilience_cli.patterns.breaker._values import (
    CALL_FAILED,
    CALL_OK,
    CALL_SLOW,
    RECENT_TRANSITIONS,
    BreakerConfig,
    BreakerState,
    SavedBreaker,
    Transition,
    WindowStats,
)

__all__ = [
    "CALL_FAILED",
    "CALL_OK",
    "CALL_SLOW",
    "RECENT_TRANSITIONS",
    "BreakerConfig",
    "BreakerState",
    "CircuitBreaker",
    "SavedBreaker",
    "Transition",
    "WindowStats",
    "elapsed_since",
    "open_remaining",
    "rate_reason",
    "trip_reason",
]
