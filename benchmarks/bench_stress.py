"""`resilience stress`: arrival accuracy in real time, and memory that does not grow with calls.

Budgets (issue #11):

- arrivals: the achieved arrival rate within 1 % of the target at 200/s and 1,000/s, and
  p99 launch lateness <= 5 ms, against the embedded upstream in its own process;
- memory: peak RSS of a virtual-time run of 1,000,000 arrivals <= the peak of a run of
  10,000 arrivals + 20 MB (both 5 minutes long, the breaker open most of the time, so that
  the run is quick: every arrival is still counted, into the same histogram).

Each figure is read from the command's own `--json` (`stress.arrivals`,
`stress.lateness_ms`) or from the child's peak RSS (getrusage). The achieved rate is the
arrivals over the span their launches took (the duration plus the worst lateness), a
lower bound: the schedule never skips an arrival, so the lateness is what a busy loop
costs.

    .venv/bin/python benchmarks/bench_stress.py [--seconds 10] [--skip-memory]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _upstream import resilience_command, upstream_process

RATES = (200, 1000)
RATE_TOLERANCE = 0.01
LATENESS_P99_MS = 5.0
MEMORY_SLACK_MB = 20.0
PEAK_OF_CHILD = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def stress(args: list[str], folder: Path) -> dict[str, object]:
    """One `resilience stress --json` run; its document."""
    done = subprocess.run(
        [
            *resilience_command(),
            "stress",
            *args,
            "--json",
            "--state-file",
            str(folder / "breaker.json"),
            "--log-file",
            str(folder / "app.log"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    document: dict[str, object] = json.loads(done.stdout)
    return document


def arrivals(seconds: float, folder: Path) -> list[dict[str, object]]:
    """Achieved rate and launch lateness at each target rate, the upstream apart."""
    rows = []
    with upstream_process() as url:
        for rate in RATES:
            document = stress(
                [
                    "--duration",
                    f"{seconds:g}s",
                    "--arrival-rate",
                    str(rate),
                    "--rate",
                    "0",  # the limiter would refuse most of them: its default is 20/s
                    "--base-url",
                    url,
                ],
                folder,
            )
            run = document["stress"]
            assert isinstance(run, dict)
            lateness = run["lateness_ms"]
            assert isinstance(lateness, dict)
            # No arrival is ever skipped, so arrivals / duration is the target by design;
            # what a late loop costs shows in the span the launches took: the last one
            # came at most `max` late, so this is the least rate they were launched at.
            span = float(run["duration_s"]) + float(lateness["max"]) / 1000
            achieved = int(run["arrivals"]) / span
            rows.append(
                {
                    "target_rate": rate,
                    "achieved_rate_at_least": round(achieved, 2),
                    "ratio": round(achieved / rate, 4),
                    "lateness_p99_ms": lateness["p99"],
                    "lateness_max_ms": lateness["max"],
                    "dropped": run["dropped"],
                    "within_budget": abs(achieved / rate - 1) <= RATE_TOLERANCE
                    and float(lateness["p99"]) <= LATENESS_P99_MS,
                }
            )
    return rows


def peak_rss_mb(arrivals_total: int, folder: Path) -> float:
    """Peak RSS of a 5-minute virtual-time run of `arrivals_total` arrivals, in a child."""
    rate = arrivals_total / 300
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            PEAK_OF_CHILD,
            *resilience_command(),
            "stress",
            "--duration",
            "5m",
            "--arrival-rate",
            f"{rate:.4f}",
            "--rate",
            "0",
            "--phase",
            "0s:status=500",
            "--virtual-time",
            "--json",
            "--state-file",
            str(folder / f"m{arrivals_total}.json"),
            "--log-file",
            str(folder / f"m{arrivals_total}.log"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    # A fresh wrapper per run: its children's peak is this run's alone (ru_maxrss in KiB).
    return int(done.stdout.split()[-1]) / 1024


def memory(folder: Path) -> dict[str, object]:
    small = peak_rss_mb(10_000, folder)
    large = peak_rss_mb(1_000_000, folder)
    return {
        "peak_rss_mb_10k": round(small, 1),
        "peak_rss_mb_1m": round(large, 1),
        "within_budget": large <= small + MEMORY_SLACK_MB,
    }


def main(seconds: float, *, skip_memory: bool) -> int:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        report: dict[str, object] = {"arrivals": arrivals(seconds, folder)}
        if not skip_memory:
            report["memory"] = memory(folder)
    print(json.dumps(report, indent=2))
    rows = report["arrivals"]
    assert isinstance(rows, list)
    failed = [row for row in rows if not row["within_budget"]]
    mem = report.get("memory")
    if isinstance(mem, dict) and not mem["within_budget"]:
        failed.append(mem)
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    sys.exit(main(args.seconds, skip_memory=args.skip_memory))
