"""Type-checked, never run: locks the public signatures of the core.

mypy checks this file (see pyproject.toml); a change that breaks a line here breaks
users' code too.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from resilience_cli.clock import Clock, SystemClock
from resilience_cli.event_loops import event_loop_for
from resilience_cli.patterns import (
    BreakerConfig,
    BreakerState,
    Bulkhead,
    BulkheadConfig,
    BulkheadStatistics,
    CallOutcome,
    CircuitBreaker,
    EventList,
    Fallback,
    OutcomeKind,
    Pipeline,
    Policies,
    RateLimiter,
    RateLimiterConfig,
    Reason,
    RetryConfig,
    TimeoutConfig,
    parse_retry_after,
)
from resilience_cli.state.memento import BreakerMemento, from_snapshot, to_snapshot
from resilience_cli.virtual_time import VirtualClock, WallOrigin

if TYPE_CHECKING:
    import asyncio

clock: Clock = SystemClock()
virtual: Clock = VirtualClock()
repeatable = VirtualClock(wall_origin=WallOrigin.FIXED, autojump_threshold=0.0)
loop: asyncio.AbstractEventLoop = event_loop_for(repeatable)
events = EventList()

breaker = CircuitBreaker(BreakerConfig(failure_threshold=5), clock=clock, events=events)
state: BreakerState = breaker.state
snapshot: dict[str, object] = to_snapshot(breaker)
restored: CircuitBreaker = from_snapshot(snapshot, clock=clock)
memento: BreakerMemento = BreakerMemento.of(breaker)
as_json: dict[str, object] = memento.to_json()
again: CircuitBreaker = CircuitBreaker.from_memento(
    BreakerMemento.from_json(as_json), BreakerConfig(), clock=clock, events=events
)
limiter = RateLimiter(RateLimiterConfig(rate=10, burst=5, max_wait=1.0), clock=clock)
bulkhead = Bulkhead(BulkheadConfig(max_concurrent=4, max_queue=8, max_wait=2.0))
stats: BulkheadStatistics = bulkhead.statistics()
wait: float | None = parse_retry_after("120", 0.0)

pipeline: Pipeline[str] = Pipeline.from_policies(
    Policies(
        timeout=TimeoutConfig(attempt=2, total=10),
        retry=RetryConfig(attempts=3, max_retry_after=None),
    ),
    clock=clock,
    seed=42,
    fallback=Fallback.constant("cached"),
    events=events,
)
hand_built: Pipeline[int] = Pipeline(clock=clock, rng=random.Random(1), breaker=breaker)


async def use() -> None:
    """The call path: one awaitable in, one outcome out."""

    async def fetch() -> str:
        return "fresh"

    outcome: CallOutcome[str] = await pipeline.call(fetch)
    kind: OutcomeKind = outcome.kind
    reason: Reason | None = outcome.reason
    value: str | None = outcome.value
    del kind, reason, value
