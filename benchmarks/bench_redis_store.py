"""`invoke` calls per second with the breaker shared on Redis, against the state file, in one run.

The whole `invoke` path (`resilience_cli.run.execute`: all six patterns, the event log,
the fallback; the limiter at 1e9/s so that it never paces, the bulkhead's max_concurrent
at the concurrency) makes N GETs to /get of the embedded upstream, served on loopback in
its own process (pinned to CPU 1 when `taskset` exists, the client to CPU 0), twice per
rep, interleaved: once with the state file (`--state-file`: restored once, saved once,
the breaker in memory) and once with `--state redis://...` (a local `redis-server`
without persistence: every admission and every outcome is a step of the Lua script on
the server, two round trips a call).

The budget is the ratio of the medians' pairs, Redis / file, at concurrency 10: at least
0.8. The server's own count of script calls is divided by the attempts made, to show the
round trips per attempt (at most 2 on the success path). The script exits 1, after
printing every figure, when the ratio is under the budget.

    .venv/bin/python benchmarks/bench_redis_store.py [--calls 3000] [--reps 5] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import redis
from _upstream import pin_to_cpu0, upstream_process

from resilience_cli.clock import SystemClock
from resilience_cli.eventlog import open_event_log
from resilience_cli.mix import parse_mix
from resilience_cli.patterns import BulkheadConfig, Policies, RateLimiterConfig
from resilience_cli.run import RunPlan, execute
from resilience_cli.state import JsonFileStore
from resilience_cli.state.redis_store import RedisStore
from resilience_cli.targets import RemoteTarget

if TYPE_CHECKING:
    from collections.abc import Iterator

(GET,) = parse_mix("/get")
BUDGET = 0.8


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A local redis-server without persistence on a free port; yields its URL."""
    executable = shutil.which("redis-server")
    if executable is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = [
        executable,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    with subprocess.Popen(args, cwd=folder, stdout=subprocess.DEVNULL) as server:
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        for _ in range(500):
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    break
            time.sleep(0.01)
        client.close()
        try:
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)


def script_calls(url: str) -> int:
    client = redis.Redis.from_url(url)
    with contextlib.closing(client):
        stats = client.info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("evalsha", "eval"))


async def invoke(
    url: str, calls: int, concurrency: int, store: JsonFileStore | RedisStore, folder: Path
) -> tuple[float, int]:
    clock = SystemClock()
    policies = Policies(
        bulkhead=BulkheadConfig(max_concurrent=concurrency),
        rate_limiter=RateLimiterConfig(rate=1e9, burst=1_000_000),
    )
    plan = RunPlan(calls=(GET,) * calls, policies=policies, concurrency=concurrency, seed=0)
    log = open_event_log(folder / "app.log", clock=clock, run_id="bench", command="invoke")
    try:
        started = time.perf_counter()
        result = await execute(plan, clock=clock, store=store, target=RemoteTarget(url), events=log)
        rate = calls / (time.perf_counter() - started)
    finally:
        log.close()
    assert not result.tally.fallbacks_by_reason, "a call failed"
    return rate, result.tally.attempts


async def main(calls: int, reps: int, concurrency: int) -> dict[str, object]:
    file_rates: list[float] = []
    redis_rates: list[float] = []
    attempts = 0
    with (
        tempfile.TemporaryDirectory() as folder,
        upstream_process() as upstream,
        redis_server(Path(folder)) as store_url,
    ):
        here = Path(folder)
        file_store = JsonFileStore(here / "breaker.json")
        await invoke(upstream, 300, concurrency, file_store, here)  # warm up both
        await invoke(upstream, 300, concurrency, RedisStore(store_url, "bench"), here)
        before = script_calls(store_url)
        for rep in range(reps):
            variants = [("file", file_rates), ("redis", redis_rates)]
            for name, rates in variants if rep % 2 == 0 else variants[::-1]:
                store = file_store if name == "file" else RedisStore(store_url, "bench")
                rate, made = await invoke(upstream, calls, concurrency, store, here)
                rates.append(rate)
                if name == "redis":
                    attempts += made
        steps = script_calls(store_url) - before
    # Each run also looks at the breaker twice (before and after): not per attempt.
    looks = 2 * reps
    ratio = statistics.median(r / f for r, f in zip(redis_rates, file_rates, strict=True))
    return {
        "calls": calls,
        "reps": reps,
        "concurrency": concurrency,
        "file_store_calls_per_s": round(statistics.median(file_rates)),
        "redis_store_calls_per_s": round(statistics.median(redis_rates)),
        "ratio_redis_to_file": round(ratio, 3),
        "budget": BUDGET,
        "within_budget": ratio >= BUDGET,
        "redis_round_trips_per_attempt": round((steps - looks) / attempts, 3),
    }


if __name__ == "__main__":
    pin_to_cpu0()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    figures = asyncio.run(main(args.calls, args.reps, args.concurrency))
    print(json.dumps(figures, indent=2))
    if not figures["within_budget"]:
        print(f"over budget: the Redis store runs under {BUDGET} x the file store's calls/s")
        sys.exit(1)
