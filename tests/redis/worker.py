"""One process of the concurrency tests: N attempts through a breaker shared on Redis.

    python worker.py URL NAME ATTEMPTS SEED FAIL_RATE PROBE_SECONDS PACE CONFIG_JSON

It counts itself in `test:ready`, waits for the key `test:go` (so that every process
starts together), then makes its attempts through `SharedBreaker`, the run's own breaker,
on the server's clock. An admitted probe (the breaker was HALF_OPEN when it admitted it)
counts itself in the key `test:probes:EPOCH` (its permit is the epoch of the half-open
period that admitted it) for as long as it runs, and the process notes the most it saw: a
probe that outlives its period (the breaker re-opened, then half-opened again) is not a
probe of the next one. The first refusal counts the process in `test:refused`. PACE is
a pause after each attempt, in seconds. It prints one JSON line: what it did, counted.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time

import redis.asyncio

from resilience_cli.clock import SystemClock
from resilience_cli.errors import CircuitOpenError
from resilience_cli.patterns import BreakerConfig, BreakerState
from resilience_cli.state.redis_store import RedisStore
from resilience_cli.state.shared_breaker import SharedBreaker


async def main(argv: list[str]) -> dict[str, int]:
    url, name, attempts, seed, fail_rate, probe_seconds, pace, config_json = argv
    config = BreakerConfig(**json.loads(config_json))
    rng = random.Random(int(seed))
    notes: list[str] = []
    store = RedisStore(url, name)
    breaker = SharedBreaker(
        store,
        config,
        clock=SystemClock(),
        events=None,
        unavailable=store.unavailable,
        note=notes.append,
    )
    counts = {"admitted": 0, "rejected": 0, "recorded": 0, "probes": 0, "max_probes": 0}
    probes_key = "test:probes:{}".format
    side = redis.asyncio.Redis.from_url(url)
    await side.incr("test:ready")
    while not await side.exists("test:go"):  # noqa: ASYNC110 - another process sets it
        await asyncio.sleep(0.001)
    for _ in range(int(attempts)):
        try:
            permit = await breaker.acquire()
        except CircuitOpenError:
            counts["rejected"] += 1
            if counts["rejected"] == 1:
                await side.incr("test:refused")
            await asyncio.sleep(float(pace))
            continue
        counts["admitted"] += 1
        last = breaker._last
        probe = last is not None and last.state is BreakerState.HALF_OPEN and permit >= 0
        if probe:
            counts["probes"] += 1
            in_flight = await side.incr(probes_key(permit))
            counts["max_probes"] = max(counts["max_probes"], in_flight)
            await asyncio.sleep(float(probe_seconds))
            await side.decr(probes_key(permit))
        failure = "http_5xx" if rng.random() < float(fail_rate) else None
        await breaker.record(permit, 0.001, failure)
        counts["recorded"] += 1
        await asyncio.sleep(float(pace))
    await breaker.aclose()
    await side.aclose()
    for line in notes:
        print(line, file=sys.stderr)  # noqa: T201 - the test reads what the process said
    return counts


if __name__ == "__main__":
    began = time.monotonic()
    result = asyncio.run(main(sys.argv[1:]))
    result["seconds_ms"] = round((time.monotonic() - began) * 1000)
    print(json.dumps(result))  # noqa: T201 - its result, for the test
