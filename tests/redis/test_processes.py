"""Eight real processes share one breaker on a real Redis: it trips once, probes stay bounded.

Each process is tests/redis/worker.py: 500 attempts through `SharedBreaker`, started
together. The server's counters say what it counted: every outcome a process recorded
is one the script saw (counted, or ignored as stale: admitted before a transition).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from resilience_cli.patterns import BreakerConfig, BreakerState
from resilience_cli.state.redis_store import RedisStore, breaker_keys

pytestmark = [pytest.mark.linux_service("redis-server"), pytest.mark.slow]

WORKER = Path(__file__).with_name("worker.py")
PROCESSES = 8
ATTEMPTS = 500


def start_workers(
    url: str, name: str, *, fail_rate: float, probe_seconds: float, pace: float = 0.001, **config
):
    return [
        subprocess.Popen(
            [
                sys.executable, str(WORKER), url, name, str(ATTEMPTS), str(seed),
                str(fail_rate), str(probe_seconds), str(pace), json.dumps(config),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for seed in range(PROCESSES)
    ]  # fmt: skip


def results(workers) -> tuple[list[dict[str, int]], str]:
    counts, errors = [], ""
    for worker in workers:
        out, err = worker.communicate(timeout=100)
        assert worker.returncode == 0, err.decode()
        assert b"Traceback" not in err
        counts.append(json.loads(out.decode().strip().splitlines()[-1]))
        errors += err.decode()
    return counts, errors


def wait_for(client, key: str, count: int) -> None:
    """Wait until every worker has counted itself in `key`."""
    deadline = time.monotonic() + 60
    while int(client.get(key) or 0) < count:
        assert time.monotonic() < deadline, f"the workers did not all reach {key}"
        time.sleep(0.01)


def go(client) -> None:
    """Start every worker at once, when all of them are ready (imports take a while)."""
    wait_for(client, "test:ready", PROCESSES)
    client.set("test:go", 1)


def server_counts(client, name: str) -> dict[str, int]:
    fields = client.hgetall(breaker_keys(name)[0])
    return {key.decode(): value.decode() for key, value in fields.items()}


def transitions(url: str, name: str):
    store = RedisStore(url, name)
    with contextlib.closing(store):
        return store.history()


def test_eight_processes_trip_the_shared_breaker_exactly_once_and_lose_no_outcome(
    redis_server,
):
    """Every call fails: one CLOSED->OPEN at the threshold, everyone refused after, 0 lost."""
    workers = start_workers(
        redis_server.url, "trip", fail_rate=1.0, probe_seconds=0.0,
        failure_threshold=5, failure_rate_threshold=None, open_for=3600.0,
    )  # fmt: skip
    client = redis_server.client()
    with contextlib.closing(client):
        go(client)
        counts, _ = results(workers)
        stored = server_counts(client, "trip")
    assert all(c["admitted"] + c["rejected"] == ATTEMPTS for c in counts)
    admitted = sum(c["admitted"] for c in counts)
    recorded = sum(c["recorded"] for c in counts)
    assert recorded == admitted
    # Each process has one call in flight at most: the 5 failures that trip it, and at most
    # one call more per other process admitted before it opened.
    assert 5 <= admitted <= 5 + PROCESSES - 1
    assert int(stored["outcomes"]) == recorded  # 0 lost
    assert int(stored["outcomes"]) - int(stored["stale"]) == 5  # the rest came too late
    history = transitions(redis_server.url, "trip")
    assert [(t.from_state, t.to_state) for t in history] == [
        (BreakerState.CLOSED, BreakerState.OPEN)
    ]
    assert history[0].reason == "5 consecutive failures >= threshold 5, so OPEN"
    assert stored["state"] == "open"


def test_half_open_never_admits_more_probes_than_allowed_across_processes(redis_server):
    """Many open/half-open cycles: never more than half_open_max_calls probes in flight."""
    workers = start_workers(
        redis_server.url, "probes", fail_rate=0.3, probe_seconds=0.02,
        failure_threshold=2, failure_rate_threshold=None, open_for=0.05,
        half_open_max_calls=2, half_open_max_wait=5.0,
    )  # fmt: skip
    client = redis_server.client()
    with contextlib.closing(client):
        go(client)
        counts, _ = results(workers)
        stored = server_counts(client, "probes")
    assert all(c["admitted"] + c["rejected"] == ATTEMPTS for c in counts)
    assert sum(c["probes"] for c in counts) >= 10  # the breaker did half-open, many times
    assert max(c["max_probes"] for c in counts) <= 2
    assert int(stored["outcomes"]) == sum(c["recorded"] for c in counts)


def test_a_redis_restart_mid_run_crashes_nothing_and_leaves_a_fresh_closed_breaker(
    own_redis_server,
):
    """Forced open, then the server restarts without persistence: CLOSED, with a warning."""
    server = own_redis_server
    store = RedisStore(server.url, "restart")
    with contextlib.closing(store):
        store.step("force_open", BreakerConfig(), "held open until the restart")
    # About 2 s of attempts: the restart, and the second the processes wait before they ask
    # the server again (RETRY_AFTER), fit in the middle.
    workers = start_workers(
        server.url, "restart", fail_rate=0.0, probe_seconds=0.0, pace=0.004, open_for=3600.0
    )
    client = server.client()
    with contextlib.closing(client):
        go(client)
        wait_for(client, "test:refused", PROCESSES)  # each refused while it is held open
    server.restart()
    client = server.client()
    with contextlib.closing(client):
        counts, errors = results(workers)
        stored = server_counts(client, "restart")
    assert all(c["admitted"] + c["rejected"] == ATTEMPTS for c in counts)
    assert sum(c["rejected"] for c in counts) > 0  # refused while forced open
    assert sum(c["admitted"] for c in counts) > 0  # let in by the fresh breaker
    assert stored["state"] == "closed"
    # Every process saw the breaker before the restart, and says once that it was lost.
    assert errors.count("was missing") == PROCESSES
    assert "Traceback" not in errors
