"""What the embedded upstream adds to a command: its imports, start and stop (budget 30 ms).

Each sample is a fresh interpreter in which httpx and the async backend its first
request loads are already imported (every call command that reaches HTTP imports them,
embedded upstream or not: `start()` asks the upstream for `/health` so that the first
call does not pay for them); the figure is the time from the first line of the embedded
upstream's code to its stop, `EmbeddedTarget.start()` + `close()`, imports included.

    .venv/bin/python benchmarks/bench_embedded.py [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PROBE = """
import asyncio, time
import httpx
import anyio._backends._asyncio, httpcore._backends.anyio
async def main():
    began = time.perf_counter()
    from resilience_cli.targets import EmbeddedTarget
    target = EmbeddedTarget(0, time.time)
    await target.start()
    await target.close()
    return (time.perf_counter() - began) * 1000
print(asyncio.run(main()))
"""


def main(runs: int) -> dict[str, object]:
    samples = [
        float(
            subprocess.run(
                [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return {
        "runs": runs,
        "embedded_upstream_ms": {
            "median": round(statistics.median(samples), 1),
            "min": round(min(samples), 1),
            "max": round(max(samples), 1),
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    print(json.dumps(main(parser.parse_args().runs), indent=2))
