"""Start-up of `resilience` commands against `python -c "import typer"`, in the same run.

Each command runs `--runs` times, interleaved with the baselines (the order rotates every
round, so that none always runs first), in a fresh empty folder; the figure is the ratio
of medians. Two clocks are read for each run: the wall clock, which is what the budget
names, and the CPU time the process used (user + system, from `wait4`), which a machine
busy with other work disturbs far less: on a quiet machine the two ratios agree. The
budget is 2.5x for `--help`, `state`, `reset` and `force-open` on both; the script exits 1,
after printing every figure, when one of them is over it on the wall clock. `--version`
is shown too. Two more baselines give the floors: `python -c pass` (the interpreter alone), and a
minimal Typer app running one command with two typed options (Typer 0.29 builds each
typed option through a pydantic TypeAdapter, so any such command imports pydantic unless
it is spared that, as ours are: see `resilience_cli/cli/lean_options.py`).

The package is byte-compiled first, so that an environment with PYTHONDONTWRITEBYTECODE
set does not charge every run for compiling it. `reset` and `force-open` write the state
file and the log in the run's folder, as they do in a classroom.

    .venv/bin/python benchmarks/bench_startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _upstream import resilience_command

import resilience_cli

BUDGET = 2.5
BUDGETED = ("resilience --help", "resilience state", "resilience reset", "resilience force-open")
BASELINE = "import typer"

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


def timed(command: list[str], cwd: str) -> tuple[float, float]:
    """Milliseconds of wall clock and of CPU time (user + system) that `command` took."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = (time.perf_counter() - started) * 1000
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, f"{command} exited {child.returncode}"
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def ratios(times: dict[str, list[float]]) -> dict[str, float]:
    baseline = statistics.median(times[BASELINE])
    return {
        name: round(statistics.median(values) / baseline, 2)
        for name, values in times.items()
        if name != BASELINE
    }


def main(runs: int) -> dict[str, object]:
    compileall.compile_dir(Path(resilience_cli.__file__).parent, quiet=1)
    resilience = resilience_command()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        BASELINE: [sys.executable, "-c", "import typer"],
        "minimal typer command": [sys.executable, "-c", MINIMAL_TYPER_APP, "state"],
        "resilience --help": [*resilience, "--help"],
        "resilience --version": [*resilience, "--version"],
        "resilience state": [*resilience, "state"],
        "resilience force-open": [*resilience, "force-open"],
        "resilience reset": [*resilience, "reset"],
    }
    names = list(commands)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as folder:
        for command in commands.values():
            timed(command, folder)  # warm the file cache
        for round_ in range(runs):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                wall_ms, cpu_ms = timed(commands[name], folder)
                wall[name].append(wall_ms)
                cpu[name].append(cpu_ms)
    wall_ratios = ratios(wall)
    return {
        "runs": runs,
        "median_wall_ms": {
            name: round(statistics.median(values), 1) for name, values in wall.items()
        },
        "ratio_to_import_typer": wall_ratios,
        "cpu_time_ratio_to_import_typer": ratios(cpu),
        "budget": BUDGET,
        "over_budget": [name for name in BUDGETED if wall_ratios[name] > BUDGET],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    figures = main(parser.parse_args().runs)
    print(json.dumps(figures, indent=2))
    if figures["over_budget"]:
        sys.exit(f"over the start-up budget of {BUDGET}x: {', '.join(figures['over_budget'])}")
