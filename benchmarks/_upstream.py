"""Start the embedded upstream in its own process, as the benchmarks' target."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


def resilience_command() -> list[str]:
    script = Path(sys.executable).parent / "resilience"
    return [str(script)] if script.exists() else [sys.executable, "-m", "resilience_cli"]


@contextlib.contextmanager
def upstream_process(cpu: int | None = 1) -> Iterator[str]:
    """Yield the base URL of `resilience upstream serve --port 0`, pinned to `cpu` if possible."""
    with upstream_server(cpu) as server:
        yield server.url


@dataclass(frozen=True, slots=True)
class Upstream:
    """The upstream's base URL, and its process id (to read the CPU time it spent)."""

    url: str
    pid: int


@contextlib.contextmanager
def upstream_server(cpu: int | None = 1) -> Iterator[Upstream]:
    """Like `upstream_process`, with the server's process id too."""
    command = [*resilience_command(), "upstream", "serve", "--port", "0"]
    if cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        # A shell ignores SIGINT in what it starts in the background (`make bench &`); the
        # server would inherit that, and it is stopped with SIGINT, as by Ctrl-C. A handler
        # is not inherited: the server starts with the default, and hears it.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as server:
        assert server.stderr is not None
        line = server.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        if match is None:
            server.kill()
            raise RuntimeError(f"upstream did not start: {line!r}")
        try:
            # taskset execs the command: the pid is the server's own.
            yield Upstream(match.group(0), server.pid)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=10)


def pin_to_cpu0() -> None:
    """The upstream runs pinned to CPU 1 (when taskset exists); keep the client on CPU 0."""
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, {0})


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) that process `pid` has spent so far, or None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the command's name: state is field 3, utime and stime fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
