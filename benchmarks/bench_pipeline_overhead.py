"""Per-call overhead of the full pipeline against a bare `await f()`, in one run.

All six patterns are on and nothing trips: a bulkhead with free slots, a 1e12/s limiter,
a CLOSED breaker, a per-attempt timeout and a deadline, 3 attempts, and a fallback.
The loops run interleaved in each rep on the same event loop, and the overhead is the
difference of medians, so machine noise hits them alike. A third loop times a bare
`async with asyncio.timeout(10): await f()`, whose cost above the bare call is the unit.

The budget is a ratio to that unit, measured in the same run: the overhead of the whole
pipeline is at most 1.6 bare `asyncio.timeout`s. (1.6 is where the budget first stated
as 5 us sat on the machine it was set on, where one `asyncio.timeout` cost 3.1 us; on
another machine only the ratio means anything.) The script exits 1, after printing every
figure, when the ratio is over it.

    .venv/bin/python benchmarks/bench_pipeline_overhead.py [--calls 200000] [--reps 7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time

from resilience_cli.clock import SystemClock
from resilience_cli.patterns import (
    Fallback,
    Pipeline,
    Policies,
    RateLimiterConfig,
)

YIELD_EVERY = 64  # let the loop breathe, as a real run would
BUDGET_IN_ASYNCIO_TIMEOUTS = 1.6


async def f() -> int:
    return 1


async def bare(calls: int) -> float:
    started = time.perf_counter()
    for index in range(calls):
        await f()
        if index % YIELD_EVERY == 0:
            await asyncio.sleep(0)
    return time.perf_counter() - started


async def timed_out(calls: int) -> float:
    started = time.perf_counter()
    for index in range(calls):
        async with asyncio.timeout(10):
            await f()
        if index % YIELD_EVERY == 0:
            await asyncio.sleep(0)
    return time.perf_counter() - started


async def piped(pipeline: Pipeline[int], calls: int) -> float:
    call = pipeline.call
    started = time.perf_counter()
    for index in range(calls):
        await call(f)
        if index % YIELD_EVERY == 0:
            await asyncio.sleep(0)
    return time.perf_counter() - started


async def main(calls: int, reps: int) -> dict[str, float | bool]:
    policies = Policies(rate_limiter=RateLimiterConfig(rate=1e12, burst=1_000_000))
    pipeline: Pipeline[int] = Pipeline.from_policies(
        policies, clock=SystemClock(), seed=0, fallback=Fallback.constant(0)
    )
    await piped(pipeline, calls // 10)  # warm up
    bare_ns, pipe_ns, timeout_ns = [], [], []
    for _ in range(reps):
        bare_ns.append(await bare(calls) / calls * 1e9)
        pipe_ns.append(await piped(pipeline, calls) / calls * 1e9)
        timeout_ns.append(await timed_out(calls) / calls * 1e9)
    bare_median = statistics.median(bare_ns)
    pipe_median = statistics.median(pipe_ns)
    timeout_cost = statistics.median(timeout_ns) - bare_median
    return {
        "calls": calls,
        "reps": reps,
        "bare_ns_per_call": round(bare_median, 1),
        "pipeline_ns_per_call": round(pipe_median, 1),
        "overhead_us_per_call": round((pipe_median - bare_median) / 1000, 3),
        "asyncio_timeout_alone_us": round(timeout_cost / 1000, 3),
        "overhead_in_asyncio_timeouts": round((pipe_median - bare_median) / timeout_cost, 2),
        "budget_in_asyncio_timeouts": BUDGET_IN_ASYNCIO_TIMEOUTS,
        "within_budget": (pipe_median - bare_median) / timeout_cost <= BUDGET_IN_ASYNCIO_TIMEOUTS,
        "pipeline_min_ns": round(min(pipe_ns), 1),
        "pipeline_max_ns": round(max(pipe_ns), 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    figures = asyncio.run(main(args.calls, args.reps))
    print(json.dumps(figures, indent=2))
    if not figures["within_budget"]:
        sys.exit(
            f"over budget: the pipeline costs more than {BUDGET_IN_ASYNCIO_TIMEOUTS} bare asyncio.timeout"
        )
