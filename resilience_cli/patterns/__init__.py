"""The six resilience patterns as asyncio primitives, and the pipeline that composes them.

Pure asyncio, no I/O: time comes from an injected `Clock`, randomness from a seeded
`random.Random`, and every decision is an event sent to an injected sink.
"""

from resilience_cli.patterns.breaker import (
    BreakerConfig,
    BreakerState,
    CircuitBreaker,
    Transition,
    WindowStats,
)
from resilience_cli.patterns.bulkhead import Bulkhead, BulkheadConfig, BulkheadStatistics
from resilience_cli.patterns.classify import Classifier, DefaultClassifier
from resilience_cli.patterns.events import Event, EventList, EventSink
from resilience_cli.patterns.fallback import Fallback
from resilience_cli.patterns.outcome import (
    AttemptRecord,
    CallOutcome,
    Failure,
    OutcomeKind,
    Reason,
)
from resilience_cli.patterns.pipeline import Pipeline, Policies
from resilience_cli.patterns.rate_limiter import (
    RateLimiter,
    RateLimiterConfig,
    RateLimiterStatistics,
)
from resilience_cli.patterns.retry import RetryConfig, parse_retry_after
from resilience_cli.patterns.timeout import TimeoutConfig

__all__ = [
    "AttemptRecord",
    "BreakerConfig",
    "BreakerState",
    "Bulkhead",
    "BulkheadConfig",
    "BulkheadStatistics",
    "CallOutcome",
    "CircuitBreaker",
    "Classifier",
    "DefaultClassifier",
    "Event",
    "EventList",
    "EventSink",
    "Failure",
    "Fallback",
    "OutcomeKind",
    "Pipeline",
    "Policies",
    "RateLimiter",
    "RateLimiterConfig",
    "RateLimiterStatistics",
    "Reason",
    "RetryConfig",
    "TimeoutConfig",
    "Transition",
    "WindowStats",
    "parse_retry_after",
]
