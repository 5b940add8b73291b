"""Calls per second of `invoke`'s path against raw httpx, same upstream, same concurrency.

The upstream runs in its own process (`resilience upstream serve`, pinned to CPU 1 when
`taskset` exists). In each rep, three ways of making N GETs to /get are interleaved:

- raw httpx, one AsyncClient with default limits (what most code does);
- raw httpx sharded like ours: ceil(c/5) AsyncClients of 5 connections each;
- ours: `resilience_cli.run.execute`, the whole `invoke` path: state file lock, breaker
  restored and saved, all six patterns on (limiter at 1e9/s so it never paces), the
  JSON-lines event log, fallback.

All three run at the same effective concurrency c: c workers for raw httpx, and for ours
c workers with the bulkhead's `max_concurrent` set to c. (Its library default of 10 would
hold ours to 10 calls in flight while raw httpx ran 50, which is not the same race.) Each
row reports the peak of calls in flight that each variant reached, to show it.

The ratio ours / sharded raw is the budget's figure (>= 0.95); the ratio to the naive
client is shown too.

    .venv/bin/python benchmarks/bench_throughput.py [--calls 3000] [--reps 3] [--concurrency 1 10 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from _upstream import pin_to_cpu0, upstream_process

from resilience_cli.clock import SystemClock
from resilience_cli.eventlog import open_event_log
from resilience_cli.patterns import BulkheadConfig, Policies, RateLimiterConfig
from resilience_cli.request import Request
from resilience_cli.run import RunPlan, execute
from resilience_cli.state import JsonFileStore
from resilience_cli.targets import RemoteTarget

GET = Request("/get")


class InFlight:
    """Counts the calls in flight, and keeps the peak."""

    def __init__(self) -> None:
        self.now = self.peak = 0

    def __enter__(self) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)

    def __exit__(self, *_: object) -> None:
        self.now -= 1


async def drive(
    clients: list[httpx.AsyncClient], calls: int, concurrency: int
) -> tuple[float, int]:
    todo = iter(range(calls))
    in_flight = InFlight()

    async def worker(index: int) -> None:
        client = clients[index % len(clients)]
        for _ in todo:
            with in_flight:
                response = await client.get("/get")
            response.raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return calls / (time.perf_counter() - started), in_flight.peak


async def raw(url: str, calls: int, concurrency: int, *, sharded: bool) -> tuple[float, int]:
    if sharded:
        limits = httpx.Limits(max_connections=5, max_keepalive_connections=5)
        clients = [
            httpx.AsyncClient(base_url=url, limits=limits, timeout=None)
            for _ in range(math.ceil(concurrency / 5))
        ]
    else:
        clients = [httpx.AsyncClient(base_url=url, timeout=None)]
    try:
        return await drive(clients, calls, concurrency)
    finally:
        for client in clients:
            await client.aclose()


async def ours(url: str, calls: int, concurrency: int, folder: Path) -> tuple[float, int]:
    clock = SystemClock()
    policies = Policies(
        bulkhead=BulkheadConfig(max_concurrent=concurrency),
        rate_limiter=RateLimiterConfig(rate=1e9, burst=1_000_000),
    )
    plan = RunPlan(calls=(GET,) * calls, policies=policies, concurrency=concurrency, seed=0)
    store = JsonFileStore(folder / "breaker.json", clock=clock)
    log = open_event_log(folder / "app.log", clock=clock, run_id="bench", command="invoke")
    try:
        started = time.perf_counter()
        result = await execute(plan, clock=clock, store=store, target=RemoteTarget(url), events=log)
        rate = calls / (time.perf_counter() - started)
    finally:
        log.close()
    assert not result.tally.fallbacks_by_reason, "a call failed"
    assert result.bulkhead is not None
    return rate, result.bulkhead.peak_in_flight


async def main(calls: int, reps: int, levels: list[int]) -> dict[str, object]:
    rows = []
    with upstream_process() as url, tempfile.TemporaryDirectory() as folder:
        await raw(url, 300, 10, sharded=True)  # warm up the server and the imports
        for concurrency in levels:
            naive: list[float] = []
            sharded: list[float] = []
            mine: list[float] = []
            peaks: dict[str, int] = {}
            level = concurrency
            variants = [
                (
                    "raw_httpx_one_client",
                    naive,
                    lambda level=level: raw(url, calls, level, sharded=False),
                ),
                (
                    "raw_httpx_sharded",
                    sharded,
                    lambda level=level: raw(url, calls, level, sharded=True),
                ),
                (
                    "resilience_invoke",
                    mine,
                    lambda level=level: ours(url, calls, level, Path(folder)),
                ),
            ]
            for rep in range(reps):
                # Rotate the order each rep, so that no variant always runs first or last.
                for name, samples, measure in variants[rep % 3 :] + variants[: rep % 3]:
                    rate, peak = await measure()
                    samples.append(rate)
                    peaks[name] = max(peaks.get(name, 0), peak)
            rows.append(
                {
                    "concurrency": concurrency,
                    "peak_in_flight": peaks,
                    "raw_httpx_one_client": round(statistics.median(naive)),
                    "raw_httpx_sharded": round(statistics.median(sharded)),
                    "resilience_invoke": round(statistics.median(mine)),
                    "ratio_to_sharded": round(
                        statistics.median(m / s for m, s in zip(mine, sharded, strict=True)), 3
                    ),
                    "ratio_to_one_client": round(
                        statistics.median(m / n for m, n in zip(mine, naive, strict=True)), 3
                    ),
                }
            )
    return {
        "calls": calls,
        "reps": reps,
        "same_concurrency": "c workers each; ours with the bulkhead's max_concurrent = c",
        "rows": rows,
    }


if __name__ == "__main__":
    pin_to_cpu0()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 50])
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.calls, args.reps, args.concurrency)), indent=2))
