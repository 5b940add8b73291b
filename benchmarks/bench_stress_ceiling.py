"""`resilience stress` at its ceiling against a raw httpx loop, and what its live dashboard costs.

Budgets (issue #11), each a ratio measured in the same run:

- ceiling: the completions per second that `stress` sustains >= 0.9 x those of a raw
  httpx loop sharded the same way (`bench_throughput.raw`: ceil(c/5) AsyncClients of 5
  connections, c workers), against the same upstream;
- dashboard: those completions with the live dashboard on >= 0.97 x with it off.

The upstream runs in its own process, pinned to CPU 1; this process and the `stress`
it starts stay on CPU 0 (`taskset`, as `bench_throughput.py` does). Each rep runs four
variants, in the opposite order in the next rep, so that a drift of the machine's load
cancels out:

- raw: `--calls` GETs to /get by c workers, closed loop (each starts its next call as
  soon as one answers);
- stress: `resilience stress --json`, the bulkhead and `--max-in-flight` both c (the
  same c connections and calls in flight as raw; `bench_throughput.py` sets `invoke`'s
  bulkhead so too), an arrival past them dropped at once; the limiter off (`--rate 0`);
  offered `OVERDRIVE` x what it completed in the last rep, so that it runs at its
  ceiling (each run's `dropped` shows that it did). Its figure / raw's is the ceiling;
- stress queued, dashboard off: as many arrivals again may wait in the bulkhead's queue
  (`--max-in-flight` 2c, `--queue` c), as they do by default, stderr a pipe (one
  progress line per interval);
- stress queued, dashboard on: the same, its stderr a pseudo-terminal of 100 x 30, read
  by a thread of this process as a terminal would be. On / off is the dashboard's ratio.
  (Queued, because with no queue a frame's pause of the loop also idles the c slots
  until arrivals refill them, which a default run never sees.)

A stress run's figure is its `ok` completions per second over its steady intervals
(all but the first and the last), read from its own `--json` series. The CPU time each
process spent over the same span (from /proc: `stress` between the progress lines that
close those intervals; the raw loop and the upstream over the loop), per second and per
call, and how busy each CPU was (/proc/stat, every process counted) tell what limits the
figures: a process near 1.0 s of CPU per second is at its ceiling. The dashboard's
frames are timed inside the child (wall clock and CPU), for the share of the run spent
drawing.

    .venv/bin/python benchmarks/bench_stress_ceiling.py [--seconds 8] [--reps 5] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path
from typing import NamedTuple

from _upstream import Upstream, cpu_seconds, pin_to_cpu0, upstream_server
from bench_throughput import raw

CEILING_RATIO = 0.9
DASHBOARD_RATIO = 0.97
OVERDRIVE = 1.15
"""Offered arrivals a second, over the best completions a second that stress made so far.

Enough to hold it at its ceiling through the machine's noise; not so many that dropping
the excess (each dropped arrival a wake-up of the loop) weighs on what it completes.
"""
TERMINAL = (30, 100)  # rows, columns: the size the dashboard was looked at in
TIMED_FRAMES = (
    # `resilience`, each frame the dashboard draws timed: the frames, their wall clock (the
    # dashboard paces itself by it) and their CPU time, written to the file named by argv[1].
    "import atexit, sys, time\n"
    "from resilience_cli.cli import main, stress_watch\n"
    "drawn = [0, 0.0, 0.0]\n"
    "draw = stress_watch.LiveDashboard._draw\n"
    "def timed(self, *, force):\n"
    "    began, cpu, frames = time.perf_counter(), time.process_time(), self.frames\n"
    "    draw(self, force=force)\n"
    "    if self.frames != frames:\n"
    "        drawn[0] += 1\n"
    "        drawn[1] += time.perf_counter() - began\n"
    "        drawn[2] += time.process_time() - cpu\n"
    "stress_watch.LiveDashboard._draw = timed\n"
    "report = sys.argv.pop(1)\n"
    "atexit.register(lambda: open(report, 'w').write(' '.join(map(str, drawn))))\n"
    "main()\n"
)


class Figure(NamedTuple):
    """One run: completions per second over its steady span, and the CPU it took."""

    rate: float
    client_cpu: float | None  # CPU seconds per second of the client process
    upstream_cpu: float | None
    dropped: int = 0
    frames: int | None = None  # the dashboard's, when it was on
    draw_share: float | None = None  # of the run's wall clock, spent drawing them
    frame_ms: float | None = None  # wall clock per frame
    frame_cpu_ms: float | None = None  # CPU time per frame
    cpus_busy: tuple[float, ...] = ()  # share of CPU 0 and CPU 1 busy, others' work too


def cpu_ticks() -> list[tuple[int, int]]:
    """(busy, all) clock ticks of CPU 0 and CPU 1 so far, every process counted."""
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return []
    ticks = []
    for line in lines[1:3]:
        counts = [int(count) for count in line.split()[1:]]
        idle = counts[3] + counts[4]  # idle and iowait
        ticks.append((sum(counts) - idle, sum(counts)))
    return ticks


def busy_shares(before: list[tuple[int, int]], after: list[tuple[int, int]]) -> list[float]:
    """The share of each CPU that was busy between two `cpu_ticks`."""
    return [
        round((b1 - b0) / (a1 - a0), 2) if a1 > a0 else 0.0
        for (b0, a0), (b1, a1) in zip(before, after, strict=True)
    ]


class Terminal:
    """A pseudo-terminal of `TERMINAL` size, drained by a thread as a terminal would be."""

    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", *TERMINAL, 0, 0))
        self.received = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the last writer closed its end
                return
            if not chunk:
                return
            self.received += chunk

    def close(self) -> None:
        """Close both ends, once the writer is gone."""
        os.close(self.slave)
        self._reader.join(timeout=5)
        os.close(self.master)


def stress_command(  # noqa: PLR0913 - one run's settings
    url: str, seconds: int, rate: float, concurrency: int, folder: Path, *, queued: bool
) -> list[str]:
    """`stress` with the bulkhead at `concurrency`; `queued`: as many arrivals may wait."""
    return [
        sys.executable,
        "-c",
        TIMED_FRAMES,
        str(folder / "frames.txt"),
        "stress",
        "--duration",
        f"{seconds}s",
        "--arrival-rate",
        f"{rate:.0f}",
        "--rate",
        "0",
        "--max-concurrent",
        str(concurrency),
        "--queue",
        str(concurrency),
        "--max-in-flight",
        str(2 * concurrency if queued else concurrency),
        "--base-url",
        url,
        "--json",
        "--state-file",
        str(folder / "breaker.json"),
        "--log-file",
        str(folder / "app.log"),
    ]


def steady(document: dict[str, object], seconds: int) -> tuple[float, int]:
    """`ok` completions per second over intervals 1 .. seconds-2, and the drops in them."""
    run = document["stress"]
    assert isinstance(run, dict)
    rows = [row for row in run["series"] if row["start_s"] >= 1 and row["end_s"] <= seconds - 1]
    assert rows, "no steady interval: give it more --seconds"
    assert not any(row["fallbacks"] for row in rows), "a call failed"
    span = rows[-1]["end_s"] - rows[0]["start_s"]
    return sum(row["ok"] for row in rows) / span, sum(row["dropped"] for row in rows)


def run_stress(  # noqa: PLR0913 - one run's settings
    upstream: Upstream,
    seconds: int,
    rate: float,
    concurrency: int,
    folder: Path,
    *,
    dashboard: bool,
    queued: bool,
) -> Figure:
    """One `stress` run offered `rate` arrivals a second, on a terminal or off one."""
    command = stress_command(upstream.url, seconds, rate, concurrency, folder, queued=queued)
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    cpu = SteadyCpu()
    with tempfile.TemporaryFile() as out:
        if dashboard:
            terminal = Terminal()
            child = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=terminal.slave, env=env
            )
            child.wait()
            terminal.close()
        else:
            child = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE, env=env
            )
            cpu = _steady_cpu(child, upstream, seconds)
            child.wait()
        if child.returncode != 0:
            raise RuntimeError(f"stress exited {child.returncode}")
        out.seek(0)
        document = json.loads(out.read())
    completions, dropped = steady(document, seconds)
    frames, drawing, drawing_cpu = (folder / "frames.txt").read_text().split()
    elapsed = float(str(document["elapsed_s"]))
    return Figure(
        completions,
        cpu.client,
        cpu.upstream,
        dropped,
        frames=int(frames) if dashboard else None,
        draw_share=float(drawing) / elapsed if dashboard else None,
        frame_ms=1000 * float(drawing) / max(1, int(frames)) if dashboard else None,
        frame_cpu_ms=1000 * float(drawing_cpu) / max(1, int(frames)) if dashboard else None,
        cpus_busy=cpu.cpus_busy,
    )


class SteadyCpu(NamedTuple):
    """CPU per second of the client and the upstream over a stress run's steady span."""

    client: float | None = None
    upstream: float | None = None
    cpus_busy: tuple[float, ...] = ()


def _steady_cpu(child: subprocess.Popen[bytes], upstream: Upstream, seconds: int) -> SteadyCpu:
    """Read between the progress lines that close the first interval and interval seconds-1."""
    assert child.stderr is not None
    marks = []
    for count, _line in enumerate(child.stderr, start=1):
        if count in (1, seconds - 1):
            marks.append(
                (
                    time.perf_counter(),
                    cpu_seconds(child.pid),
                    cpu_seconds(upstream.pid),
                    cpu_ticks(),
                )
            )
    if len(marks) < 2:
        return SteadyCpu()
    (t0, c0, u0, k0), (t1, c1, u1, k1) = marks
    span = t1 - t0
    return SteadyCpu(
        None if c0 is None or c1 is None else (c1 - c0) / span,
        None if u0 is None or u1 is None else (u1 - u0) / span,
        tuple(busy_shares(k0, k1)),
    )


def run_raw(upstream: Upstream, calls: int, concurrency: int) -> Figure:
    cpu_before, up_before = time.process_time(), cpu_seconds(upstream.pid)
    ticks = cpu_ticks()
    started = time.perf_counter()
    rate, _peak = asyncio.run(raw(upstream.url, calls, concurrency, sharded=True))
    elapsed = time.perf_counter() - started
    client = (time.process_time() - cpu_before) / elapsed
    up_after = cpu_seconds(upstream.pid)
    served = None if up_before is None or up_after is None else (up_after - up_before) / elapsed
    return Figure(rate, client, served, cpus_busy=tuple(busy_shares(ticks, cpu_ticks())))


def _median(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return round(statistics.median(known), 2) if known else None


def _row(figures: list[Figure]) -> dict[str, object]:
    rates = [figure.rate for figure in figures]
    row: dict[str, object] = {
        "per_second": round(statistics.median(rates)),
        "per_second_range": [round(min(rates)), round(max(rates))],
    }
    if figures[0].frames is None:
        row["client_cpu_us_per_call"] = _median(
            [
                None if figure.client_cpu is None else 1e6 * figure.client_cpu / figure.rate
                for figure in figures
            ]
        )
        row["client_cpu_per_s"] = _median([figure.client_cpu for figure in figures])
        row["upstream_cpu_per_s"] = _median([figure.upstream_cpu for figure in figures])
        row["cpu0_cpu1_busy"] = [
            _median([figure.cpus_busy[index] for figure in figures if figure.cpus_busy])
            for index in (0, 1)
        ]
    else:
        row["frames"] = [figure.frames for figure in figures]
        row["ms_per_frame"] = _median([figure.frame_ms for figure in figures])
        row["cpu_ms_per_frame"] = _median([figure.frame_cpu_ms for figure in figures])
        shares = [figure.draw_share for figure in figures if figure.draw_share is not None]
        row["share_of_time_drawing"] = [round(min(shares), 4), round(max(shares), 4)]
    return row


def main(seconds: int, reps: int, concurrency: int, calls: int) -> int:
    raws: list[Figure] = []
    tops: list[Figure] = []  # stress, c in flight: the ceiling
    offs: list[Figure] = []  # stress, c in flight and c queued, dashboard off
    ons: list[Figure] = []  # the same, dashboard on
    with upstream_server() as upstream, tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        # The first offer: above the warm-up's raw rate; then above the last rep's stress.
        offered = dict.fromkeys(("top", "off"), run_raw(upstream, calls // 2, concurrency).rate)
        for rep in range(reps):
            # raw, top, off, on, then on, off, top, raw: each pair of neighbours swaps
            # places from one rep to the next, so that a drift of the load cancels out.
            order = ["raw", "top", "off", "on"]
            for variant in order if rep % 2 == 0 else reversed(order):
                if variant == "raw":
                    raws.append(run_raw(upstream, calls, concurrency))
                    continue
                figure = run_stress(
                    upstream,
                    seconds,
                    offered["top" if variant == "top" else "off"] * OVERDRIVE,
                    concurrency,
                    folder,
                    dashboard=variant == "on",
                    queued=variant != "top",
                )
                {"top": tops, "off": offs, "on": ons}[variant].append(figure)
            offered = {"top": tops[-1].rate, "off": max(ons[-1].rate, offs[-1].rate)}
    ceiling = statistics.median(t.rate / r.rate for t, r in zip(tops, raws, strict=True))
    queued = statistics.median(o.rate / r.rate for o, r in zip(offs, raws, strict=True))
    dashboard = statistics.median(n.rate / o.rate for n, o in zip(ons, offs, strict=True))
    report = {
        "concurrency": concurrency,
        "reps": reps,
        "seconds_per_stress_run": seconds,
        "load_average_1_5_15_min": [round(value, 2) for value in os.getloadavg()],
        "raw_httpx_sharded": _row(raws),
        "stress": {**_row(tops), "dropped": [t.dropped for t in tops]},
        "stress_queued_dashboard_off": {**_row(offs), "dropped": [o.dropped for o in offs]},
        "stress_queued_dashboard_on": {**_row(ons), "dropped": [n.dropped for n in ons]},
        "ceiling_ratio": round(ceiling, 3),
        "ceiling_ratios": [round(t.rate / r.rate, 3) for t, r in zip(tops, raws, strict=True)],
        "ceiling_within_budget": ceiling >= CEILING_RATIO,
        "queued_ratio": round(queued, 3),
        "dashboard_ratio": round(dashboard, 3),
        "dashboard_ratios": [round(n.rate / o.rate, 3) for n, o in zip(ons, offs, strict=True)],
        "dashboard_within_budget": dashboard >= DASHBOARD_RATIO,
    }
    print(json.dumps(report, indent=2))
    return 0 if ceiling >= CEILING_RATIO and dashboard >= DASHBOARD_RATIO else 1


if __name__ == "__main__":
    pin_to_cpu0()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main(args.seconds, args.reps, args.concurrency, args.calls))
    sys.exit(130)
