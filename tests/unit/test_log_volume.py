"""The decision log's volume is bounded: repeats summed up per interval, and rotation."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app
from resilience_cli.eventlog import EventLog, Rotation, open_event_log
from resilience_cli.log_digest import RepeatDigest
from resilience_cli.patterns.events import (
    AttemptFailed,
    BreakerTransitioned,
    CallFellBack,
    CallRejected,
)
from resilience_cli.virtual_time import VirtualClock

FAILED_500 = AttemptFailed(1, "http_5xx", 0.01, "HTTP 500")
TIMED_OUT = AttemptFailed(2, "timeout", 2.0, "attempt exceeded 2s")
OPENED = BreakerTransitioned("closed", "open", "5 consecutive failures >= threshold 5, so OPEN")


class Kept(io.StringIO):
    """A StringIO whose text outlives `close()`, as a file's does."""

    def close(self) -> None:
        self.flush()


def digest_log(clock: VirtualClock) -> tuple[EventLog, io.StringIO]:
    out = Kept()
    log = EventLog(out, clock=clock, run_id="r", command="error", digest=RepeatDigest(1.0))
    return log, out


def lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_the_first_of_each_decision_is_written_and_its_repeats_are_counted():
    """Per interval: the first attempt.failed of each reason in full, then one line with count."""
    clock = VirtualClock()
    log, out = digest_log(clock)
    for _ in range(5):
        log(FAILED_500)
    log(TIMED_OUT)
    log(FAILED_500)
    clock.jump(1.0)
    log(FAILED_500)  # a new interval: the last one's summary first, then this in full
    log.close()
    written = [(line["event"], line["reason"], line.get("count")) for line in lines(out)]
    assert written == [
        ("attempt.failed", "http_5xx", None),
        ("attempt.failed", "timeout", None),
        ("attempt.failed", "http_5xx", 5),
        ("attempt.failed", "http_5xx", None),
    ]
    summary = lines(out)[2]
    assert summary["interval_s"] == 1.0
    assert "duration" not in summary  # it varies from call to call: not part of a decision


def test_a_transition_is_always_written_after_what_was_counted_before_it():
    """Counted repeats come before the transition, and the first decisions after it in full."""
    clock = VirtualClock()
    log, out = digest_log(clock)
    for _ in range(3):
        log(FAILED_500)
    log(OPENED)
    for _ in range(4):
        log(CallRejected("breaker", "breaker_open", "OPEN, retry in 30s"))
        log(CallFellBack("breaker_open", 0))
    log.info("run.finished", calls=4)
    written = [(line["event"], line.get("count")) for line in lines(out)]
    assert written == [
        ("attempt.failed", None),
        ("attempt.failed", 2),
        ("breaker.opened", None),
        ("call.rejected", None),
        ("call.fell_back", None),
        ("call.rejected", 3),
        ("call.fell_back", 3),
        ("run.finished", None),
    ]
    assert lines(out)[6]["level"] == "warning"  # a fallback summed up keeps its level


def test_a_thousand_failing_calls_a_second_write_a_few_lines_a_second():
    """10,000 failed attempts over 10 s write at most two lines per second and reason."""
    clock = VirtualClock()
    log, out = digest_log(clock)
    for _ in range(10):
        for _ in range(1000):
            log(FAILED_500)
            clock.jump(0.001)
    log.close()
    written = lines(out)
    assert len(written) <= 2 * 10
    assert sum(int(str(line.get("count", 1))) for line in written) == 10_000


def test_a_big_run_logs_as_much_as_a_small_one(tmp_path, monkeypatch):
    """`error -n 2000`, nothing stopping the failures, logs as many lines as `-n 20` in as long.

    Before, the log had a line per failed attempt, retry and fallback: about 6,000 here.
    """
    monkeypatch.chdir(tmp_path)
    off = ["--failure-threshold", "0", "--failure-rate", "0", "--rate", "0", "--attempts", "2"]
    off += ["--backoff", "0"]  # no time passes: one interval holds every call
    counts = []
    for count in ("20", "2000"):
        log = tmp_path / f"{count}.log"
        result = CliRunner().invoke(
            app, ["error", "-n", count, "--virtual-time", "--json", "--log-file", str(log), *off]
        )
        assert result.exit_code == 0, result.output
        entries = [json.loads(line) for line in log.read_text().splitlines()]
        counts.append(len(entries))
        failed = [e for e in entries if e["event"] == "attempt.failed"]
        assert sum(int(e.get("count", 1)) for e in failed) == 2 * int(count)
    assert counts[1] <= counts[0] + 4


def test_the_log_rotates_and_keeps_its_backups(tmp_path):
    """Past max_bytes the file moves to .1 (.1 to .2, ...); no file passes the bound."""
    path = tmp_path / "logs" / "app.log"
    clock = VirtualClock()
    log = open_event_log(path, clock=clock, run_id="r", command="invoke", max_bytes=4096, backups=2)
    for number in range(400):
        log.info("run.started", number=number)
    log.close()
    files = sorted(path.parent.iterdir())
    assert [file.name for file in files] == ["app.log", "app.log.1", "app.log.2"]
    assert all(file.stat().st_size <= 4096 for file in files)
    kept = [
        json.loads(line)["number"]
        for file in (path.with_name("app.log.2"), path.with_name("app.log.1"), path)
        for line in file.read_text().splitlines()
    ]
    assert kept == list(range(kept[0], 400))  # the newest lines, in order, none lost between


def test_no_backups_starts_the_log_afresh(tmp_path):
    """`--log-backups 0`: the full log is dropped, and a fresh one begins."""
    path = tmp_path / "app.log"
    log = open_event_log(
        path, clock=VirtualClock(), run_id="r", command="x", max_bytes=4096, backups=0
    )
    for number in range(200):
        log.info("run.started", number=number)
    log.close()
    assert [file.name for file in tmp_path.iterdir()] == ["app.log"]
    assert path.stat().st_size <= 4096


def test_a_rotation_that_fails_warns_once_and_the_log_goes_on(tmp_path, monkeypatch):
    """A file another program holds (Windows) cannot move: one warning, and no line lost."""
    path = tmp_path / "app.log"
    warnings: list[str] = []

    def refuse(self: Rotation) -> None:
        del self
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Rotation, "rotate", refuse)
    log = open_event_log(
        path,
        clock=VirtualClock(),
        run_id="r",
        command="x",
        warn=warnings.append,
        max_bytes=4096,
        backups=1,
    )
    for number in range(100):
        log.info("run.started", number=number)
    log.close()
    assert len(path.read_text().splitlines()) == 100
    assert len(warnings) == 1  # it tries again after each eighth of max_bytes, silently
    assert warnings[0].startswith("warning: cannot rotate the log")


@pytest.mark.parametrize("flag", ["--log-max-bytes", "--log-backups"])
def test_the_log_bounds_are_bounded(flag, tmp_path, monkeypatch):
    """A bound outside its range is one line and exit 2."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["invoke", "-n", "1", "--virtual-time", flag, "-1"])
    assert result.exit_code == 2
    assert not Path("logs").exists()
