"""What `resilience upstream proxy` adds per request with no fault active, and its throughput.

The upstream (`resilience upstream serve`, pinned to CPU 1 when `taskset` exists) and the
proxy in front of it (`resilience upstream proxy --to ...`, no fault) each run in their
own process; the client, raw httpx, on CPU 0. In each rep the same upstream is asked
directly and through the proxy, in alternating blocks, so both see the same machine:

- latency: GET /get one at a time on a kept-alive connection; the p50 and p99 of the
  proxied requests minus those of the direct ones are the budget's figures (<= 1 ms at
  p50, <= 5 ms at p99);
- throughput: GET /get from 5 connections per client at concurrency 10; the proxied
  calls per second over the direct ones is the budget's ratio (>= 0.7).

    .venv/bin/python benchmarks/bench_proxy.py [--requests 2000] [--calls 3000] [--reps 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import re
import signal
import statistics
import subprocess
import time
from typing import TYPE_CHECKING

import httpx
from _upstream import pin_to_cpu0, resilience_command, upstream_process

if TYPE_CHECKING:
    from collections.abc import Iterator

BLOCK = 100  # requests per alternating block
P50_BUDGET_MS, P99_BUDGET_MS, THROUGHPUT_BUDGET = 1.0, 5.0, 0.7


@contextlib.contextmanager
def proxy_process(upstream: str) -> Iterator[str]:
    """Yield the URL of `resilience upstream proxy --to upstream` on free ports."""
    command = [
        *resilience_command(),
        "upstream", "proxy", "--to", upstream, "--port", "0", "--control-port", "0",
    ]  # fmt: skip
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as proxy:
        assert proxy.stderr is not None
        line = proxy.stderr.readline()
        found = re.findall(r"http://127\.0\.0\.1:\d+", line)
        if not found:
            proxy.kill()
            raise RuntimeError(f"proxy did not start: {line!r}")
        try:
            yield found[0]
        finally:
            proxy.send_signal(signal.SIGINT)
            proxy.wait(timeout=10)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


async def latencies(direct: str, proxied: str, requests: int) -> tuple[list[float], list[float]]:
    times: dict[str, list[float]] = {direct: [], proxied: []}
    async with httpx.AsyncClient() as a, httpx.AsyncClient() as b:
        clients = {direct: a, proxied: b}
        for url, client in clients.items():  # warm up: connections, lazy imports
            for _ in range(50):
                (await client.get(f"{url}/get")).raise_for_status()
        for block in range(requests // BLOCK):
            order = (direct, proxied) if block % 2 == 0 else (proxied, direct)
            for url in order:
                client = clients[url]
                for _ in range(BLOCK):
                    began = time.perf_counter()
                    response = await client.get(f"{url}/get")
                    times[url].append((time.perf_counter() - began) * 1000)
                    response.raise_for_status()
    return times[direct], times[proxied]


async def throughput(url: str, calls: int, concurrency: int) -> float:
    limits = httpx.Limits(max_connections=5, max_keepalive_connections=5)
    clients = [httpx.AsyncClient(base_url=url, limits=limits) for _ in range(concurrency // 5)]
    todo = iter(range(calls))

    async def worker(index: int) -> None:
        client = clients[index % len(clients)]
        for _ in todo:
            (await client.get("/get")).raise_for_status()

    try:
        await asyncio.gather(*(worker(i) for i in range(concurrency)))  # warm up
        todo = iter(range(calls))
        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        return calls / (time.perf_counter() - started)
    finally:
        for client in clients:
            await client.aclose()


async def rep(direct: str, proxied: str, requests: int, calls: int) -> tuple[float, ...]:
    plain, through = await latencies(direct, proxied, requests)
    added_p50 = percentile(through, 50) - percentile(plain, 50)
    added_p99 = percentile(through, 99) - percentile(plain, 99)
    rates = {direct: [], proxied: []}
    for order in ((direct, proxied), (proxied, direct)):
        for url in order:
            rates[url].append(await throughput(url, calls, 10))
    ratio = statistics.mean(rates[proxied]) / statistics.mean(rates[direct])
    return (
        percentile(plain, 50),
        percentile(through, 50),
        added_p50,
        percentile(plain, 99),
        percentile(through, 99),
        added_p99,
        statistics.mean(rates[direct]),
        statistics.mean(rates[proxied]),
        ratio,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    pin_to_cpu0()
    results = []
    with upstream_process() as direct, proxy_process(direct) as proxied:
        for number in range(1, args.reps + 1):
            row = asyncio.run(rep(direct, proxied, args.requests, args.calls))
            results.append(row)
            print(
                f"rep {number}: p50 {row[0]:.3f} -> {row[1]:.3f} ms (+{row[2]:.3f}),"
                f" p99 {row[3]:.3f} -> {row[4]:.3f} ms (+{row[5]:.3f}),"
                f" {row[6]:.0f} -> {row[7]:.0f} calls/s ({row[8]:.2f} x)"
            )
    added_p50 = statistics.median(row[2] for row in results)
    added_p99 = statistics.median(row[5] for row in results)
    ratio = statistics.median(row[8] for row in results)
    print(
        f"median of {args.reps}: the proxy adds {added_p50:.3f} ms at p50"
        f" (budget {P50_BUDGET_MS}), {added_p99:.3f} ms at p99 (budget {P99_BUDGET_MS});"
        f" throughput {ratio:.2f} x direct (budget >= {THROUGHPUT_BUDGET})"
    )
    met = added_p50 <= P50_BUDGET_MS and added_p99 <= P99_BUDGET_MS and ratio >= THROUGHPUT_BUDGET
    print("budget met" if met else "BUDGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
