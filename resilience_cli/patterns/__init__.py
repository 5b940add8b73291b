"""The six resilience patterns as asyncio primitives, and the pipeline that composes them.

Pure asyncio, no I/O: time comes from an injected `Clock`, randomness from a seeded
`random.Random`, and every decision is an event sent to an injected sink.

Names load on first use (PEP 562), so `resilience state`, which needs only the breaker,
does not pay for asyncio and the pipeline. Type checkers see ordinary imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resilience_cli.lazy_exports import lazy_exports

if TYPE_CHECKING:
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

_HOMES: dict[str, str] = {
    "AttemptRecord": "resilience_cli.patterns.outcome",
    "BreakerConfig": "resilience_cli.patterns.breaker",
    "BreakerState": "resilience_cli.patterns.breaker",
    "Bulkhead": "resilience_cli.patterns.bulkhead",
    "BulkheadConfig": "resilience_cli.patterns.bulkhead",
    "BulkheadStatistics": "resilience_cli.patterns.bulkhead",
    "CallOutcome": "resilience_cli.patterns.outcome",
    "CircuitBreaker": "resilience_cli.patterns.breaker",
    "Classifier": "resilience_cli.patterns.classify",
    "DefaultClassifier": "resilience_cli.patterns.classify",
    "Event": "resilience_cli.patterns.events",
    "EventList": "resilience_cli.patterns.events",
    "EventSink": "resilience_cli.patterns.events",
    "Failure": "resilience_cli.patterns.outcome",
    "Fallback": "resilience_cli.patterns.fallback",
    "OutcomeKind": "resilience_cli.patterns.outcome",
    "Pipeline": "resilience_cli.patterns.pipeline",
    "Policies": "resilience_cli.patterns.pipeline",
    "RateLimiter": "resilience_cli.patterns.rate_limiter",
    "RateLimiterConfig": "resilience_cli.patterns.rate_limiter",
    "RateLimiterStatistics": "resilience_cli.patterns.rate_limiter",
    "Reason": "resilience_cli.patterns.outcome",
    "RetryConfig": "resilience_cli.patterns.retry",
    "TimeoutConfig": "resilience_cli.patterns.timeout",
    "Transition": "resilience_cli.patterns.breaker",
    "WindowStats": "resilience_cli.patterns.breaker",
    "parse_retry_after": "resilience_cli.patterns.retry",
}


__getattr__ = lazy_exports(__name__, _HOMES, globals())


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
