"""The README's walkthrough, run as written, line by line, and each comment's claim checked.

The lines run in order in one fresh folder with the installed command, in real time,
against the embedded upstream on loopback: what a teacher types in class. Each claim is
checked from what the line left behind (its entries in `logs/app.log`, the state file
read back with `state --json`, which only reads) and from its own output, so nothing is
run twice and nothing is run differently from the README.

A README line with no check below, or a check whose line left the README, fails the test:
a changed comment is a changed claim, and its check changes with it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from command_path import RESILIENCE

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Line:
    """One walkthrough line: the command as typed, and its comment (continuations joined)."""

    command: str
    comment: str


def walkthrough() -> list[Line]:
    """The README's walkthrough block, parsed: `resilience ...  # comment` lines.

    A line that is only a comment continues the comment of the line above it.
    """
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Walkthrough", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "the README lost its walkthrough block"
    lines: list[Line] = []
    for raw in block.group(1).splitlines():
        command, _, comment = raw.partition("#")
        comment = " ".join(comment.split())
        if command.strip():
            lines.append(Line(" ".join(command.split()), comment))
        elif comment and lines:
            lines[-1] = Line(lines[-1].command, f"{lines[-1].comment} {comment}")
    return lines


@dataclass
class Folder:
    """The class's folder: runs the lines, and reads back what each one left."""

    path: Path
    env: dict[str, str]
    log_lines_seen: int = 0
    events: list[dict[str, object]] = field(default_factory=list)

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        """Run a README line as typed (its `resilience` is the installed command)."""
        argv = shlex.split(command)
        assert argv[0] == "resilience", command
        result = subprocess.run(
            [RESILIENCE, *argv[1:]],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            check=False,
        )
        log = self.path / "logs" / "app.log"
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        self.events = [json.loads(line) for line in lines[self.log_lines_seen :]]
        self.log_lines_seen = len(lines)
        return result

    def state(self) -> dict[str, object]:
        """`resilience state --json`: it only reads, so it changes nothing for the next line."""
        result = subprocess.run(
            [RESILIENCE, "state", "--json"],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        document: dict[str, object] = json.loads(result.stdout)
        return document

    def logged(self, event: str) -> list[dict[str, object]]:
        """The last line's log entries named `event`."""
        return [entry for entry in self.events if entry["event"] == event]

    def occurrences(self, event: str) -> int:
        """How many times the last line made the decision `event`.

        A decision's repeats within a second are one line with their `count`.
        """
        return sum(int(str(entry.get("count", 1))) for entry in self.logged(event))

    def finished(self) -> dict[str, object]:
        """The last line's `run.finished` entry: calls, fallbacks, the breaker after."""
        (entry,) = self.logged("run.finished")
        return entry


def _at(entry: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(entry["timestamp"]))


# Each check states, in code, what its line's comment says. The comments are the README's,
# repeated here so that changing a claim means changing its check.


def closed(folder: Folder, result: subprocess.CompletedProcess[str]) -> None:
    """`start from a CLOSED breaker`, `back to CLOSED`, `CLOSED again`."""
    assert "CLOSED" in result.stdout
    assert folder.state()["state"] == "closed"


def error_opens(folder: Folder, result: subprocess.CompletedProcess[str]) -> None:
    """20 calls to /status/500: retries, then the breaker OPENS."""
    finished = folder.finished()
    assert finished["calls"] == 20
    assert all(e["reason"] == "http_5xx" for e in folder.logged("attempt.failed"))
    assert len(folder.logged("retry.scheduled")) >= 1
    assert len(folder.logged("breaker.opened")) == 1
    assert finished["breaker"] == "open"
    assert "OPEN" in result.stdout


def state_shows_open(folder: Folder, result: subprocess.CompletedProcess[str]) -> None:
    """OPEN, fail count, opened_at, time left until half-open."""
    assert "OPEN" in result.stdout
    state = folder.state()
    assert state["state"] == "open"
    assert isinstance(state["fail_count"], int)
    assert state["fail_count"] >= 5
    assert state["opened_at"] is not None
    assert isinstance(state["open_remaining_s"], float)
    assert state["open_remaining_s"] > 0


def instant_fallbacks(folder: Folder, result: subprocess.CompletedProcess[str]) -> None:
    """Right after: instant, all fallback (breaker_open), no network."""
    del result
    finished = folder.finished()
    assert (finished["calls"], finished["fallbacks"]) == (5, 5)
    (fell_back, *repeats) = folder.logged("call.fell_back")
    assert (fell_back["reason"], fell_back["attempts"]) == ("breaker_open", 0)
    assert {e["reason"] for e in repeats} <= {"breaker_open"}
    assert folder.occurrences("call.fell_back") == 5
    assert folder.logged("attempt.failed") == []  # no attempt: no network
    (started,) = folder.logged("run.started")
    assert (_at(finished) - _at(started)).total_seconds() < 0.5


def slow_calls_time_out(folder: Folder, result: subprocess.CompletedProcess[str]) -> None:
    """/delay/3, 2 s timeout: timeouts, retries, until 5 in a row open it; all 8 fall back."""
    del result
    failed = folder.logged("attempt.failed")
    assert folder.occurrences("attempt.failed") >= 5
    assert {e["reason"] for e in failed} == {"timeout"}
    assert len(folder.logged("retry.scheduled")) >= 1
    (opened,) = folder.logged("breaker.opened")
    assert "consecutive" in str(opened["reason"])
    finished = folder.finished()
    assert (finished["calls"], finished["fallbacks"]) == (8, 8)


def fast_calls_succeed(folder: Folder, result: subprocess.CompletedProcess[str]) -> None:
    """Fast enough: every call succeeds on the first try."""
    del result
    finished = folder.finished()
    assert (finished["calls"], finished["fallbacks"], finished["breaker"]) == (8, 0, "closed")
    assert folder.logged("attempt.failed") == []
    assert folder.logged("retry.scheduled") == []


def bulkhead_and_limiter(folder: Folder, result: subprocess.CompletedProcess[str]) -> None:
    """The bulkhead runs 5 and queues 5; the limiter lets 5 through, then paces the rest at 20/s."""
    # The log writes the first queueing of each second in full (the rest as a count), so
    # the peaks are read from the summary's pacing table.
    queued = [e for e in folder.logged("bulkhead.queued") if "count" not in e]
    assert queued
    assert all(e["in_flight"] == 5 for e in queued)
    assert re.search(r"bulkhead peak in use\s+5\b", result.stdout)
    assert re.search(r"bulkhead peak queued\s+5\b", result.stdout)
    assert 10 <= folder.occurrences("rate_limit.waited") <= 55
    finished = folder.finished()
    assert (finished["calls"], finished["fallbacks"], finished["breaker"]) == (60, 0, "closed")
    (started,) = folder.logged("run.started")
    assert (_at(finished) - _at(started)).total_seconds() >= 2.7  # 55 paced at 20/s


def forced_open(folder: Folder, result: subprocess.CompletedProcess[str]) -> None:
    """Hold the breaker open (maintenance)."""
    assert "FORCED_OPEN" in result.stdout
    assert folder.state()["state"] == "forced_open"


def all_fallback(folder: Folder, result: subprocess.CompletedProcess[str]) -> None:
    """All fallback (breaker_open)."""
    del result
    finished = folder.finished()
    assert (finished["calls"], finished["fallbacks"]) == (5, 5)
    assert {e["reason"] for e in folder.logged("call.fell_back")} == {"breaker_open"}


def the_decisions(folder: Folder, result: subprocess.CompletedProcess[str]) -> None:
    """The decisions behind it all, one per line."""
    del folder
    shown = result.stdout.splitlines()
    assert len(shown) == 20
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", line) for line in shown)
    assert "breaker.closed" in shown[-1]  # the last decision: the reset just before


def load_over_time(folder: Folder, result: subprocess.CompletedProcess[str]) -> None:
    """25 s of load, 20 calls/s: 60 % fail from 6 s, it OPENS; healed from 14 s, it CLOSES."""
    assert "PASSED" in result.stdout
    (started,) = folder.logged("scenario.started")
    opened = folder.logged("breaker.opened")
    closed = folder.logged("breaker.closed")
    assert opened
    assert closed
    assert (_at(opened[0]) - _at(started)).total_seconds() >= 6  # not before the errors
    assert (_at(closed[-1]) - _at(started)).total_seconds() >= 14  # not before the healing
    assert _at(closed[-1]) > _at(opened[-1])  # the last word is CLOSED
    held = {str(entry["metric"]) for entry in folder.logged("expectation.passed")}
    assert {"breaker.state[6s..14s]", "fallback.breaker_open[last 6s]"} <= held
    assert folder.logged("expectation.failed") == []
    lines = [line for line in result.stderr.splitlines() if line.startswith("stress ")]
    # A line a second, off a terminal, and a short last one if calls end after the 25th.
    assert 25 <= len(lines) <= 26


# The lines that need the embedded upstream itself: fault phases change it, not a URL.
EMBEDDED_ONLY = frozenset({"resilience run stress-demo"})


CHECKS: dict[Line, Callable[[Folder, subprocess.CompletedProcess[str]], None]] = {
    Line("resilience reset", "start from a CLOSED breaker"): closed,
    Line(
        "resilience error -n 20", "20 calls to /status/500: retries, then the breaker OPENS"
    ): error_opens,
    Line(
        "resilience state", "OPEN, fail count, opened_at, time left until half-open"
    ): state_shows_open,
    Line(
        "resilience invoke -n 5",
        "right after: instant, all fallback (breaker_open), no network",
    ): instant_fallbacks,
    Line("resilience reset", "back to CLOSED"): closed,
    Line(
        "resilience delay -n 8",
        "/delay/3 under a 2 s attempt timeout: timeouts and retries,"
        " until 5 timeouts in a row open the breaker; all 8 fall back",
    ): slow_calls_time_out,
    Line(
        "resilience delay -n 8 --seconds 1.5",
        "fast enough: every call succeeds on the first try",
    ): fast_calls_succeed,
    Line(
        "resilience invoke -n 60 --mix /delay/0.1:1",
        "the bulkhead runs 5 and queues 5; the limiter lets 5 through, then paces the rest at 20/s",
    ): bulkhead_and_limiter,
    Line("resilience force-open", "hold the breaker open (maintenance)"): forced_open,
    Line("resilience invoke -n 5", "all fallback (breaker_open)"): all_fallback,
    Line("resilience reset", "CLOSED again"): closed,
    Line("resilience logs -n 20", "the decisions behind it all, one per line"): the_decisions,
    Line(
        "resilience run stress-demo",
        "25 s of load, 20 calls/s: 60 % fail from 6 s and the breaker OPENS;"
        " healed from 14 s, it CLOSES again",
    ): load_over_time,
}


def test_every_walkthrough_line_has_a_check():
    """Each line of the README's walkthrough, with its comment, has a check of its claim."""
    lines = walkthrough()
    assert [line for line in lines if line not in CHECKS] == []
    assert [line for line in CHECKS if line not in lines] == []


@pytest.mark.slow
def test_the_walkthrough_does_what_each_comment_says(tmp_path):
    """From a fresh folder, in order and in real time, every line does what it says."""
    walk(tmp_path, {})


@pytest.mark.slow
def test_the_walkthrough_works_through_the_proxy_in_front_of_the_real_httpbin(
    tmp_path, proxied_httpbin
):
    """With RESILIENCE_BASE_URL at the proxy before a real httpbin, every line does what it says.

    But the fifth part's: its phases change the embedded upstream, and are refused elsewhere.
    """
    proxy_url, _ = proxied_httpbin
    walk(tmp_path, {"RESILIENCE_BASE_URL": proxy_url}, skip=EMBEDDED_ONLY)


def walk(tmp_path: Path, extra: dict[str, str], skip: frozenset[str] = frozenset()) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RESILIENCE_", "GITHUB_")) and key not in ("COLUMNS", "NO_COLOR")
    }
    folder = Folder(tmp_path, env | {"PYTHONIOENCODING": "utf-8"} | extra)
    for number, line in enumerate(walkthrough(), start=1):
        if line.command in skip:
            continue
        result = folder.run(line.command)
        where = f"line {number}: {line.command}  # {line.comment}"
        assert result.returncode == 0, f"{where}\n{result.stderr}"
        assert "error" not in result.stderr, f"{where}\n{result.stderr}"
        CHECKS[line](folder, result)
