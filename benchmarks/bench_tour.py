"""Wall-clock seconds of `resilience run tour --virtual-time` (budget: under 1 s).

The tour covers about 16 s of virtual time (an open window, timeouts, pacing). Each run
is a fresh process, timed from start to exit, against `resilience --version` in the same
run so that the command's own start-up can be told apart from the tour.

    .venv/bin/python benchmarks/bench_tour.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time

from _upstream import resilience_command


def timed(command: list[str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main(runs: int) -> dict[str, object]:
    tour = [*resilience_command(), "run", "tour", "--virtual-time", "--json"]
    version = [*resilience_command(), "--version"]
    tours, versions = [], []
    with tempfile.TemporaryDirectory() as folder:
        timed(tour, folder)
        for _ in range(runs):
            tours.append(timed(tour, folder))
            versions.append(timed(version, folder))
        document = json.loads(
            subprocess.run(tour, cwd=folder, check=True, capture_output=True, text=True).stdout
        )
    virtual = document["runs"][0]["elapsed_s"]
    return {
        "runs": runs,
        "tour_wall_s": round(statistics.median(tours), 3),
        "of_which_start_up_s": round(statistics.median(versions), 3),
        "tour_virtual_s": virtual,
        "status": document["runs"][0]["status"],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    print(json.dumps(main(parser.parse_args().runs), indent=2))
