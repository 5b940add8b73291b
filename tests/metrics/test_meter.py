"""Metrics of a run, read back with prometheus_client's own text parser."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from resilience_cli.metrics import BUCKETS, RunMeter, serve_metrics
from resilience_cli.patterns import (
    BreakerConfig,
    BulkheadConfig,
    Policies,
    RateLimiterConfig,
    RetryConfig,
)
from resilience_cli.patterns.events import both
from resilience_cli.patterns.outcome import CallOutcome, OutcomeKind
from resilience_cli.request import Request
from resilience_cli.run import RunPlan, execute
from resilience_cli.state import JsonFileStore
from resilience_cli.targets import InProcessTarget

GET = Request("/get")
ERROR = Request("/status/500")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample by name and labels, as the real parser reads the exposition."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(parsed, metric: str, /, **labels: str) -> float:
    return parsed[(metric, tuple(sorted(labels.items())))]


async def metered_run(clock, tmp_path, calls, **policies) -> RunMeter:
    meter = RunMeter()
    events = []
    await execute(
        RunPlan(calls=tuple(calls), policies=Policies(**policies), concurrency=1, seed=1),
        clock=clock,
        store=JsonFileStore(tmp_path / "breaker.json", clock=clock),
        target=InProcessTarget(1, clock.wall),
        events=both(events.append, meter),
        on_call=lambda result: meter.call(result.outcome, result.outcome.duration),
        on_pipeline=meter.attach,
    )
    return meter


async def test_a_failing_upstream_shows_in_resilience4j_names(clock, tmp_path):
    """Errors open the breaker: its state gauge, its calls by kind, retries and fallbacks."""
    meter = await metered_run(
        clock,
        tmp_path,
        [ERROR] * 10 + [GET] * 5,
        rate_limiter=None,
        retry=RetryConfig(attempts=2),
        breaker=BreakerConfig(failure_threshold=4, open_for=60),
    )
    parsed = samples(generate_latest(meter.registry).decode())
    state = {
        labels: value(parsed, "resilience4j_circuitbreaker_state", name="upstream", state=labels)
        for labels in ("closed", "open", "half_open", "forced_open")
    }
    assert state == {"closed": 0, "open": 1, "half_open": 0, "forced_open": 0}
    calls = "resilience4j_circuitbreaker_calls_total"
    assert value(parsed, calls, name="upstream", kind="failed") == 4  # then it opened
    assert value(parsed, calls, name="upstream", kind="successful") == 0
    # Calls 1 and 2 fail twice each; calls 3 to 15 are refused at their first attempt.
    assert value(parsed, calls, name="upstream", kind="not_permitted") == 13
    retry = "resilience4j_retry_calls_total"
    assert value(parsed, retry, name="upstream", kind="failed_with_retry") == 2
    assert value(parsed, retry, name="upstream", kind="failed_without_retry") == 13
    assert value(parsed, "resilience_fallbacks_total", reason="breaker_open") == 13
    assert value(parsed, "resilience_fallbacks_total", reason="http_5xx") == 2
    assert value(parsed, "resilience_call_duration_seconds_count") == 15
    failure_rate = value(parsed, "resilience4j_circuitbreaker_failure_rate", name="upstream")
    assert failure_rate == -1  # 4 calls in the window, under the 10 it needs
    assert value(parsed, "resilience4j_circuitbreaker_slow_call_rate", name="upstream") == -1


async def test_gauges_read_the_bulkhead_and_the_limiter(clock, tmp_path):
    """Bulkhead slots free of the maximum, and the limiter's tokens, read at the scrape."""
    meter = await metered_run(
        clock,
        tmp_path,
        [GET] * 3,
        breaker=None,
        bulkhead=BulkheadConfig(max_concurrent=4),
        rate_limiter=RateLimiterConfig(rate=10, burst=5),
    )
    parsed = samples(generate_latest(meter.registry).decode())
    bulkhead = "resilience4j_bulkhead_"
    assert value(parsed, bulkhead + "available_concurrent_calls", name="upstream") == 4
    assert value(parsed, bulkhead + "max_allowed_concurrent_calls", name="upstream") == 4
    tokens = value(parsed, "resilience4j_ratelimiter_available_permissions", name="upstream")
    assert 2 <= tokens <= 5
    assert value(parsed, "resilience4j_ratelimiter_waiting_threads", name="upstream") == 0
    assert not any(name.startswith("resilience4j_circuitbreaker_state") for name, _ in parsed)
    retry = "resilience4j_retry_calls_total"
    assert value(parsed, retry, name="upstream", kind="successful_without_retry") == 3


def test_duration_buckets_span_a_millisecond_to_ten_seconds():
    """Each call lands in the buckets from its duration up; +Inf holds them all."""
    meter = RunMeter()
    for seconds in (0.0005, 0.003, 0.2, 4.0, 12.0):
        meter.call(CallOutcome(OutcomeKind.SUCCESS, None, None, (), seconds), seconds)
    parsed = samples(generate_latest(meter.registry).decode())
    bucket = "resilience_call_duration_seconds_bucket"
    assert (BUCKETS[0], BUCKETS[-1]) == (0.001, 10.0)
    assert value(parsed, bucket, le="0.001") == 1
    assert value(parsed, bucket, le="0.005") == 2
    assert value(parsed, bucket, le="0.25") == 3
    assert value(parsed, bucket, le="10.0") == 4
    assert value(parsed, bucket, le="+Inf") == 5


@pytest.mark.real_time
async def test_metrics_are_served_on_loopback_and_parse():
    """`/metrics` answers on 127.0.0.1 with an exposition the real parser reads."""
    meter = RunMeter()
    meter.dropped()
    server = serve_metrics(meter.registry, 0)
    try:
        assert server.url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(server.url)
    finally:
        server.close()
    assert response.status_code == 200
    parsed = samples(response.text)
    assert value(parsed, "resilience_stress_dropped_arrivals_total") == 1


def test_a_run_without_metrics_flags_never_imports_prometheus_client(tmp_path):
    """`invoke` with no metrics flag: prometheus_client stays unloaded (no start-up cost)."""
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from resilience_cli.cli import app\n"
        "result = CliRunner().invoke(app, ['invoke', '-n', '3', '--virtual-time', '--json'])\n"
        "print('EXIT', result.exit_code, 'LOADED', 'prometheus_client' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
    )
    assert "EXIT 0 LOADED False" in done.stdout, done.stdout + done.stderr
