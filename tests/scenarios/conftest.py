"""Fixtures for the scenario tests: the format's full example, as text and as a file."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

TOUR = """\
version: 1
title: Circuit breaker in five minutes
description: |
  Watch the breaker open after three failures, then recover.
seed: 42
target: embedded
defaults:
  concurrency: 10
  policies:
    timeout: {attempt: 2, total: 10}
    retry: {attempts: 3, base_delay: 0.2, max_delay: 2, honor_retry_after: true}
    rate_limiter: {rate: 20, burst: 5, max_wait: 2}
    bulkhead: {max_concurrent: 5, max_queue: 50, max_wait: 10}
    breaker: {failure_threshold: 5, failure_rate_threshold: 0.5, window_size: 20,
              minimum_calls: 10, slow_call_duration: null, slow_call_rate_threshold: 1.0,
              open_for: 30, half_open_max_calls: 3, half_open_max_wait: 60}
steps:
  - name: trip the breaker
    error: {count: 20, status: 500, concurrency: 1}
    policies: {breaker: {failure_threshold: 3}}
    expect:
      breaker.state: open
      fallback.breaker_open: count >= 10
      latency: ["p(95) < 300ms", {threshold: "max < 2s", strict: false},
                {threshold: "p(99) < 1s", abort_on_fail: true}]
  - invoke: {count: 5, mix: "/get:0.6,/delay/3:0.2,/status/500:0.2", concurrency: 10}
  - delay: {count: 8, seconds: 3, concurrency: 4}
  - pause: 30s
  - state: {}
  - force-open: {reason: maintenance}
  - reset: {}
finally:
  - reset: {}
"""


@pytest.fixture
def tour_text() -> str:
    """The format's full example: every step kind, every policy key, every expect form."""
    return TOUR


@pytest.fixture
def tour_file(tmp_path: Path) -> Path:
    """The full example written to `tour.yaml` in a fresh folder."""
    path = tmp_path / "tour.yaml"
    path.write_text(TOUR, encoding="utf-8")
    return path
