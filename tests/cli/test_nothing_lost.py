"""Nothing is lost: reset's limits, the log's failures, the lock's waits, and interruptions."""

import asyncio
import errno
import io
import json
import os
import signal
from pathlib import Path

import pytest
from filelock import FileLock
from platforms import NO_DEV_FULL, NO_DEV_ZERO, NO_FIFOS, NO_SIGHUP
from typer.testing import CliRunner

from resilience_cli.cli import app
from resilience_cli.eventlog import EventLog
from resilience_cli.state import JsonFileStore
from resilience_cli.virtual_time import VirtualClock

runner = CliRunner()
VIRTUAL = ["--virtual-time"]
STATE = Path(".resilience/breaker.json")
PACKAGE_JSON = '{\n  "name": "my-package",\n  "version": "1.0.0"\n}\n'


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every command runs in a fresh folder: its own state file and log."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESILIENCE_STATE_FILE", raising=False)
    monkeypatch.delenv("RESILIENCE_BASE_URL", raising=False)
    monkeypatch.delenv("RESILIENCE_LOG_FILE", raising=False)
    return tmp_path


def run(*args: str):
    return runner.invoke(app, list(args))


def error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output + result.stderr
    return lines[0]


def saved_breaker(path: Path = STATE) -> dict:
    return json.loads(path.read_text())["breaker"]


def log_events(path: Path = Path("logs/app.log")) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def envelope(breaker: object) -> str:
    document = {"kind": "resilience-cli/breaker-state", "schema_version": 1, "breaker": breaker}
    return json.dumps(document)


# -- reset replaces only what is ours ------------------------------------------------------


def test_reset_leaves_a_users_json_file_alone(in_tmp):
    """`reset --state-file package.json` is exit 2, the file untouched, and no advice to reset."""
    (in_tmp / "package.json").write_text(PACKAGE_JSON)

    result = run("reset", "--state-file", "package.json")

    assert result.exit_code == 2
    line = error_line(result)
    assert "is not a resilience-cli breaker state file" in line
    assert "reset" not in line.removeprefix("error: state file package.json")
    assert (in_tmp / "package.json").read_text() == PACKAGE_JSON
    assert not (in_tmp / "package.json.lock").exists()
    assert not any(event["event"] == "state.replaced" for event in log_events())


def test_every_command_on_a_foreign_file_says_it_is_not_ours(in_tmp):
    """`state`, the call commands and `force-open` say the file is not ours; none says reset."""
    (in_tmp / "package.json").write_text(PACKAGE_JSON)
    for args in (("state",), ("invoke", "-n", "1", *VIRTUAL), ("force-open",)):
        result = run(*args, "--state-file", "package.json")
        assert result.exit_code == 2, args
        line = error_line(result)
        assert "never overwrites a file it did not write" in line
        assert "resilience reset" not in line
    assert (in_tmp / "package.json").read_text() == PACKAGE_JSON


@pytest.mark.parametrize(
    "odd",
    [pytest.param("/dev/zero", marks=NO_DEV_ZERO), pytest.param("fifo", marks=NO_FIFOS)],
)
def test_state_refuses_what_is_not_a_regular_file(in_tmp, odd):
    """`state --state-file /dev/zero` or a FIFO: one line, exit 2, at once."""
    if odd == "fifo":
        os.mkfifo(in_tmp / "fifo")

    result = run("state", "--state-file", odd)

    assert result.exit_code == 2
    assert "not a regular file" in error_line(result)


def test_reset_replaces_a_corrupt_file_in_the_state_folder():
    """The default file cut short by a crash is ours: reset replaces it and says what was wrong."""
    STATE.parent.mkdir()
    STATE.write_text('{"breaker": {"state": "op')

    result = run("reset")

    assert result.exit_code == 0, result.stderr
    assert "replaced the unreadable state file: is not valid JSON" in result.stderr
    assert saved_breaker()["state"] == "closed"
    assert [e["event"] for e in log_events()] == ["state.replaced", "breaker.reset"]


def test_reset_refuses_a_corrupt_file_outside_the_state_folder(in_tmp):
    """A non-JSON file elsewhere may be anybody's: exit 2, untouched, and why."""
    (in_tmp / "notes.txt").write_text("my notes")

    result = run("reset", "--state-file", "notes.txt")

    assert result.exit_code == 2
    assert "outside a .resilience folder" in error_line(result)
    assert (in_tmp / "notes.txt").read_text() == "my notes"


def test_reset_replaces_a_file_of_ours_with_a_bad_snapshot_anywhere(in_tmp):
    """A file with our kind is ours wherever it is: a snapshot we cannot read is replaced."""
    path = in_tmp / "ci" / "breaker.json"
    path.parent.mkdir()
    path.write_text(envelope({"format": 1, "state": "sideways"}))

    assert run("state", "--state-file", str(path)).exit_code == 2
    result = run("reset", "--state-file", str(path))

    assert result.exit_code == 0, result.stderr
    assert "replaced the unreadable state file: holds a breaker" in result.stderr
    assert saved_breaker(path)["state"] == "closed"


def test_force_open_never_replaces_a_broken_file():
    """Only `reset` replaces a broken file of ours: force-open says so and leaves it."""
    STATE.parent.mkdir()
    broken = envelope({"format": 1, "state": "sideways"})
    STATE.write_text(broken)

    result = run("force-open")

    assert result.exit_code == 2
    assert error_line(result).endswith("run 'resilience reset' to start afresh")
    assert STATE.read_text() == broken


def test_a_newer_snapshot_format_asks_for_an_upgrade_not_a_reset():
    """A breaker snapshot of a newer format says "upgrade", as a newer schema_version does."""
    STATE.parent.mkdir()
    STATE.write_text(envelope({"format": 2, "state": "closed"}))

    result = run("state")

    assert result.exit_code == 2
    line = error_line(result)
    assert "newer format (2; this one reads 1)" in line
    assert line.endswith("upgrade resilience-cli to read it")
    assert "reset" not in line


# -- the log is secondary -----------------------------------------------------------------


class FullDisk(io.StringIO):
    """A log file on a full disk: every write fails with ENOSPC."""

    name = "logs/app.log"

    def write(self, _text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_log_that_cannot_be_written_warns_once_and_logs_nothing_more():
    """The first failed write prints one warning; later events are dropped without a word."""
    warnings: list[str] = []
    log = EventLog(
        FullDisk(), clock=VirtualClock(), run_id="r", command="error", warn=warnings.append
    )

    for _ in range(3):
        log.info("run.started")
    log.close()

    assert warnings == [
        "warning: cannot write the log logs/app.log (No space left on device); going on without it"
    ]


def test_a_full_disk_for_the_log_costs_the_log_not_the_run(monkeypatch):
    """ENOSPC on the log: one warning, the run goes on, the state is saved, the summary printed."""
    real_open = Path.open

    def full_disk(self, *args, **kwargs):
        return FullDisk() if self.name == "app.log" else real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", full_disk)
    result = run("error", "-n", "20", "--json", *VIRTUAL)

    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("warning: cannot write the log") == 1
    assert json.loads(result.stdout)["breaker"]["after"]["state"] == "open"
    assert saved_breaker()["state"] == "open"


def test_a_log_that_cannot_even_be_created_on_a_full_disk_costs_only_the_log(monkeypatch):
    """ENOSPC when the log is opened: one warning, and the run goes on without it."""
    real_open = Path.open

    def full_disk(self, *args, **kwargs):
        if self.name == "app.log":
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", full_disk)
    result = run("error", "-n", "20", "--json", *VIRTUAL)

    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"warning: cannot write the log {Path('logs/app.log')} (No space left on device);"
        " going on without it\n"
    )
    assert saved_breaker()["state"] == "open"


@NO_DEV_FULL
@pytest.mark.parametrize(
    "args",
    [
        ("error", "-n", "20", "--json", *VIRTUAL),
        ("run", "ci-smoke", "--virtual-time", "--json"),
        ("force-open", "--json"),
    ],
    ids=["call", "run", "force-open"],
)
def test_a_real_full_disk_for_the_log(args):
    """`--log-file /dev/full`: one warning, the state saved, the document printed."""
    result = run(*args, "--log-file", "/dev/full")

    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("warning: cannot write the log /dev/full") == 1
    assert "internal error" not in result.stderr
    assert json.loads(result.stdout)
    assert STATE.exists()


def test_operators_log_their_transition_only_once_the_state_is_saved(monkeypatch):
    """force-open whose save fails logs nothing: the log never claims what the file lacks."""
    import os  # noqa: PLC0415 - patched below

    def disk_full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    result = run("force-open", "--reason", "maintenance")

    assert result.exit_code == 3
    assert "No space left on device" in error_line(result)
    assert [event["event"] for event in log_events()] == []


# -- the lock -------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["force-open", "reset"])
def test_an_operator_command_says_when_the_lock_is_held_and_gives_up(command):
    """force-open and reset say they wait, then give up (exit 3) naming the way out."""
    run("reset")
    with FileLock(f"{STATE}.lock"):
        result = run(command, "--lock-timeout", "0.2")

    assert result.exit_code == 3
    assert "waiting for another resilience command to release" in result.stderr
    assert "a run holds it until it ends" in result.stderr
    line = error_line(result)
    assert "still held by another resilience command after 0.2s" in line
    assert "(a run holds it until it ends); wait for it or raise --lock-timeout" in line


def test_lock_timeout_0_gives_up_at_once_without_a_waiting_line():
    """--lock-timeout 0: no wait and no waiting line, just the error."""
    run("reset")
    with FileLock(f"{STATE}.lock"):
        result = run("force-open", "--lock-timeout", "0")

    assert result.exit_code == 3
    assert "waiting" not in result.stderr
    assert "after 0s" in error_line(result)


@pytest.mark.parametrize(
    "args", [("invoke", "-n", "1", *VIRTUAL), ("run", "ci-smoke", "--virtual-time")]
)
def test_lock_timeout_applies_to_runs_too(args):
    """--lock-timeout 0 on a run that finds the lock held: exit 3 at once, naming the flag."""
    run("reset")
    with FileLock(f"{STATE}.lock"):
        result = run(*args, "--lock-timeout", "0")

    assert result.exit_code == 3
    assert "raise --lock-timeout" in " ".join((result.stdout + result.stderr).split())


def test_a_nan_lock_timeout_is_a_usage_error():
    """--lock-timeout nan is refused in one line, exit 2."""
    result = run("force-open", "--lock-timeout", "nan")

    assert result.exit_code == 2
    assert "--lock-timeout" in error_line(result)


# -- interruptions keep what happened -------------------------------------------------------


@pytest.fixture
def stray():
    """Stop signals that no handler of the command catches land here, not on the test process."""
    caught: list[int] = []
    names = ("SIGTERM", "SIGHUP")
    stops = [getattr(signal, name) for name in names if hasattr(signal, name)]
    previous = {
        sig: signal.signal(sig, lambda signum, _frame: caught.append(signum)) for sig in stops
    }
    yield caught
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def signal_after_failures(monkeypatch, sig: int, failures: int) -> None:
    """Raise `sig` in this process when the log has seen `failures` failed attempts."""
    original = EventLog.__call__
    seen = 0

    def call(self, event, /):
        nonlocal seen
        original(self, event)
        if event.name == "attempt.failed":
            seen += 1
            if seen == failures:
                signal.raise_signal(sig)

    monkeypatch.setattr(EventLog, "__call__", call)


def test_ctrl_c_counts_the_attempts_of_the_calls_it_cut_short(monkeypatch):
    """Ctrl-C after 4 timed-out attempts of `delay -n 8`: 4 attempts, 4 calls cut, state saved."""
    signal_after_failures(monkeypatch, signal.SIGINT, 4)

    result = run("delay", "-n", "8", "--json", *VIRTUAL)

    assert result.exit_code == 130, result.stderr
    document = json.loads(result.stdout)
    assert document["interrupted"] is True
    assert document["calls"] == 0
    assert document["cut_short"] == 4
    assert document["attempts"] == {"total": 4, "failed": {"timeout": 4}}
    assert saved_breaker()["fail_count"] == 4
    assert result.stderr.count("interrupted") == 1


def test_the_interrupted_summary_shows_why_and_says_interrupted_once(monkeypatch):
    """The human summary has the Why table with the cut calls' timeouts, and one 'interrupted'."""
    signal_after_failures(monkeypatch, signal.SIGINT, 4)

    result = run("delay", "-n", "8", *VIRTUAL)

    assert result.exit_code == 130
    output = result.stdout + result.stderr
    assert output.count("interrupted") == 1
    assert "interrupted: 0 of 8 calls finished, 4 cut short" in result.stdout
    assert "Why" in result.stdout
    assert "attempts (all calls)                           4" in result.stdout


@pytest.mark.parametrize(
    ("sig", "code"),
    [
        pytest.param(signal.SIGTERM, 143, id="SIGTERM"),
        pytest.param(getattr(signal, "SIGHUP", None), 129, id="SIGHUP", marks=NO_SIGHUP),
    ],
)
def test_sigterm_and_sighup_save_and_exit_128_plus_the_signal(monkeypatch, stray, sig, code):
    """SIGTERM and SIGHUP are treated like Ctrl-C: state saved, summary printed, 143 / 129."""
    before = signal.getsignal(sig)
    signal_after_failures(monkeypatch, sig, 4)

    result = run("delay", "-n", "8", "--json", *VIRTUAL)

    assert stray == []
    assert result.exit_code == code, result.stderr
    assert json.loads(result.stdout)["attempts"]["total"] == 4
    assert saved_breaker()["fail_count"] == 4
    assert signal.getsignal(sig) == before


def windows_loop(monkeypatch) -> None:
    """Make this Linux loop behave as Windows' Proactor: no add_signal_handler, no SIGHUP."""

    def not_here(*_args, **_kwargs):
        raise NotImplementedError

    monkeypatch.setattr(asyncio.SelectorEventLoop, "add_signal_handler", not_here)
    monkeypatch.delattr(signal, "SIGHUP", raising=False)


def test_sigterm_without_add_signal_handler_still_saves(monkeypatch, stray):
    """Where the loop has no add_signal_handler and no SIGHUP, SIGTERM still saves: exit 143."""
    before = signal.getsignal(signal.SIGTERM)
    windows_loop(monkeypatch)
    signal_after_failures(monkeypatch, signal.SIGTERM, 4)

    result = run("delay", "-n", "8", "--json", *VIRTUAL)

    assert stray == []
    assert result.exit_code == 143, result.stderr
    assert json.loads(result.stdout)["cut_short"] == 4
    assert saved_breaker()["fail_count"] == 4
    assert signal.getsignal(signal.SIGTERM) == before


def test_ctrl_c_without_add_signal_handler_still_saves_and_exits_130(monkeypatch):
    """The same Windows-like loop: Ctrl-C (asyncio.Runner's) still saves and exits 130."""
    windows_loop(monkeypatch)
    signal_after_failures(monkeypatch, signal.SIGINT, 4)

    result = run("delay", "-n", "8", "--json", *VIRTUAL)

    assert result.exit_code == 130, result.stderr
    assert saved_breaker()["fail_count"] == 4


def test_ctrl_c_in_a_scenario_without_add_signal_handler_runs_finally_and_exits_130(
    in_tmp, monkeypatch
):
    """On the Windows-like loop, Ctrl-C during a scenario runs `finally`, saves, and exits 130."""
    (in_tmp / "long.yaml").write_text(
        "version: 1\ntitle: long\nsteps:\n  - delay: {count: 8}\n"
        "finally:\n  - force-open: {reason: finally ran}\n"
    )
    windows_loop(monkeypatch)
    signal_after_failures(monkeypatch, signal.SIGINT, 4)

    result = run("run", "long.yaml", "--virtual-time", "--json")

    assert result.exit_code == 130, result.stderr
    assert json.loads(result.stdout)["runs"][0]["status"] == "interrupted"
    assert saved_breaker()["state"] == "forced_open"
    assert saved_breaker()["fail_count"] == 4


def test_ctrl_c_saves_even_when_windows_refuses_the_first_rename(monkeypatch):
    """Windows-like loop, the save's rename refused once (a scanner has the file): saved, 130."""
    run("reset")
    windows_loop(monkeypatch)
    pauses: list[float] = []
    # The store's pause between tries of the rename is recorded here, not slept.
    monkeypatch.setitem(JsonFileStore.__init__.__kwdefaults__, "sleep", pauses.append)
    real_replace = os.replace
    refusals = iter([True])

    def replace(source, target):
        if next(refusals, False):
            raise PermissionError(errno.EACCES, "Access is denied", str(target))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    signal_after_failures(monkeypatch, signal.SIGINT, 4)

    result = run("delay", "-n", "8", "--json", *VIRTUAL)

    assert result.exit_code == 130, result.stderr
    assert len(pauses) == 1
    assert saved_breaker()["fail_count"] == 4


def test_ctrl_c_while_waiting_for_the_lock_without_add_signal_handler_exits_130(monkeypatch):
    """On the Windows-like loop, Ctrl-C while waiting for the lock: nothing changed, exit 130."""
    from resilience_cli.cli import output  # noqa: PLC0415 - patched below

    notes: list[str] = []

    def note(message: str) -> None:
        notes.append(message)
        if message.startswith("waiting for another resilience command"):
            signal.raise_signal(signal.SIGINT)

    run("reset")
    windows_loop(monkeypatch)
    monkeypatch.setattr(output, "note", note)
    before = STATE.read_bytes()
    with FileLock(f"{STATE}.lock"):
        result = run("invoke", "-n", "1", "--lock-timeout", "30", *VIRTUAL)

    assert result.exit_code == 130
    assert notes[-1] == "interrupted before any call was made; nothing changed"
    assert STATE.read_bytes() == before


def test_sigterm_during_a_scenario_runs_finally_and_exits_143(in_tmp, monkeypatch, stray):
    """A scenario stopped by SIGTERM runs its `finally` steps, saves, and exits 143."""
    (in_tmp / "long.yaml").write_text(
        "version: 1\ntitle: long\nsteps:\n  - delay: {count: 8}\n"
        "finally:\n  - force-open: {reason: finally ran}\n"
    )
    signal_after_failures(monkeypatch, signal.SIGTERM, 4)

    result = run("run", "long.yaml", "--virtual-time", "--json")

    assert stray == []
    assert result.exit_code == 143, result.stderr
    assert json.loads(result.stdout)["runs"][0]["status"] == "interrupted"
    assert saved_breaker()["state"] == "forced_open"
    assert saved_breaker()["fail_count"] == 4


def test_sigterm_while_waiting_for_the_lock_changes_nothing_and_exits_143(monkeypatch, stray):
    """Stopped before it had the lock, a run says nothing changed, and exits 143."""
    from resilience_cli.cli import output  # noqa: PLC0415 - patched below

    notes: list[str] = []

    def note(message: str) -> None:
        notes.append(message)
        if message.startswith("waiting for another resilience command"):
            signal.raise_signal(signal.SIGTERM)

    monkeypatch.setattr(output, "note", note)
    run("reset")
    before = STATE.read_bytes()
    with FileLock(f"{STATE}.lock"):
        result = run("invoke", "-n", "1", "--lock-timeout", "30", *VIRTUAL)

    assert stray == []
    assert result.exit_code == 143
    assert notes[-1] == "interrupted before any call was made; nothing changed"
    assert STATE.read_bytes() == before
