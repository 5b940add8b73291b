"""Wall-clock seconds of `resilience compare` on 10 minutes at 100 calls/s (budget: < 2 s).

The trace is made here, as `--record` writes it: 60,000 arrivals, one answer each, the
upstream healthy, then failing for three minutes (500s, one in ten a timeout), then
healed. `resilience compare TRACE --json` replays it through the five default presets.
Each run is a fresh process timed from start to exit; in the same run, as baselines,
`resilience --version` (start-up) and a bare Python process that only parses the
trace's lines with `json.loads` (the least any reader of the file must do). The ratio to
the bare parse is what to watch on a noisy machine.

    .venv/bin/python benchmarks/bench_compare.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _upstream import resilience_command

try:
    import resource  # POSIX: the CPU time of each child, which a busy machine disturbs less
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

from resilience_cli.trace import Answer, AnswerKind, TraceWriter

SECONDS, RATE = 600, 100
FAILING = (180.0, 360.0)
BUDGET_S = 2.0
BARE_PARSE = "import json, sys\nfor line in open(sys.argv[1]):\n    json.loads(line)\n"


def write_trace(path: Path) -> int:
    """A degraded-then-healed trace of SECONDS at RATE calls a second; its event count."""
    writer = TraceWriter.create(path, origin=0.0, source="bench")
    ok = Answer(AnswerKind.STATUS, 0.02, 200)
    failed = Answer(AnswerKind.STATUS, 0.02, 500)
    hung = Answer(AnswerKind.TIMEOUT, 2.0)
    for index in range(SECONDS * RATE):
        at = index / RATE
        writer.arrived(at, "GET", "/api")
        answer = ok
        if FAILING[0] <= at < FAILING[1]:
            answer = hung if index % 10 == 0 else failed
        writer.answered(at, "GET", "/api", answer)
    writer.close()
    return writer.events


def timed(command: list[str], cpu: list[float] | None = None) -> float:
    """Wall seconds of `command`; its CPU seconds (user + system) go to `cpu`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN) if resource else None
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - started
    if resource and before is not None and cpu is not None:
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def main(runs: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        trace = Path(folder) / "trace.jsonl"
        events = write_trace(trace)
        compare = [*resilience_command(), "compare", str(trace), "--json"]
        version = [*resilience_command(), "--version"]
        parse = [sys.executable, "-c", BARE_PARSE, str(trace)]
        timed(compare)
        compares, versions, parses, cpus = [], [], [], []
        for _ in range(runs):
            compares.append(timed(compare, cpus))
            versions.append(timed(version))
            parses.append(timed(parse))
        document = json.loads(
            subprocess.run(compare, check=True, capture_output=True, text=True).stdout
        )
        size = trace.stat().st_size
    wall = statistics.median(compares)
    return {
        "runs": runs,
        "trace": {"events": events, "bytes": size, "seconds": SECONDS, "rate": RATE},
        "presets": list(document["presets"]),
        "compare_wall_s": round(wall, 3),
        "compare_cpu_s": round(statistics.median(cpus), 3) if cpus else None,
        "of_which_start_up_s": round(statistics.median(versions), 3),
        "bare_parse_s": round(statistics.median(parses), 3),
        "ratio_to_bare_parse": round(wall / statistics.median(parses), 2),
        "budget_s": BUDGET_S,
        "met": wall < BUDGET_S,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    result = main(parser.parse_args().runs)
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["met"] else 1)
