"""Start-up of `resilience --help`, `--version` and `state` against `python -c "import typer"`.

Each command runs `--runs` times, interleaved with the baselines, in a fresh empty folder;
the figure is the ratio of medians (budget: at most 2.5x for --help and state). A second
baseline, a minimal Typer app running one command with two typed options, shows the
floor that Typer itself sets for any command. The
package is byte-compiled first, so that an environment with PYTHONDONTWRITEBYTECODE set
does not charge every run for compiling it.

    .venv/bin/python benchmarks/bench_startup.py [--runs 20]
"""

from __future__ import annotations

import argparse
import compileall
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _upstream import resilience_command

import resilience_cli

MINIMAL_TYPER_APP = """
from pathlib import Path
import typer
app = typer.Typer()
@app.command()
def state(json: bool = False, state_file: Path | None = None) -> None:
    pass
@app.command()
def other() -> None:
    pass
app()
"""


def timed(command: list[str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return (time.perf_counter() - started) * 1000


def main(runs: int) -> dict[str, object]:
    compileall.compile_dir(Path(resilience_cli.__file__).parent, quiet=1)
    commands = {
        "import typer": [sys.executable, "-c", "import typer"],
        # The floor of any Typer 0.29 command with typed options: it builds each option
        # through a pydantic TypeAdapter, so it imports pydantic before the command runs.
        "minimal typer command": [sys.executable, "-c", MINIMAL_TYPER_APP, "state"],
        "resilience --help": [*resilience_command(), "--help"],
        "resilience --version": [*resilience_command(), "--version"],
        "resilience state": [*resilience_command(), "state"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as folder:
        for command in commands.values():
            timed(command, folder)  # warm the file cache
        for _ in range(runs):
            for name, command in commands.items():
                times[name].append(timed(command, folder))
    baseline = statistics.median(times["import typer"])
    return {
        "runs": runs,
        "median_ms": {name: round(statistics.median(values), 1) for name, values in times.items()},
        "ratio_to_import_typer": {
            name: round(statistics.median(values) / baseline, 2)
            for name, values in times.items()
            if name != "import typer"
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    print(json.dumps(main(parser.parse_args().runs), indent=2))
