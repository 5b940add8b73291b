"""The fuzz tests' own checks can fail: a hang is stopped and reported, a change is seen."""

from __future__ import annotations

import os
import time

import harness
import pytest

from resilience_cli.state import breaker as state_breaker


def test_a_command_that_hangs_is_stopped_and_reported(monkeypatch, tmp_path):
    """The watchdog interrupts a command that runs past its time, and `check` says it hung."""
    monkeypatch.setattr(harness, "WATCHDOG_SECONDS", 0.2)

    def hang(*_args: object, **_kwargs: object) -> None:
        while True:
            time.sleep(0.01)

    monkeypatch.setattr(state_breaker, "load_breaker", hang)
    args = ["state", "--state-file", str(tmp_path / "breaker.json")]

    outcome = harness.invoke(args)

    assert outcome.hung
    assert outcome.result.exit_code == 130
    with pytest.raises(AssertionError, match=r"still running after 0\.2 s"):
        harness.check(outcome, args)


def test_a_state_file_written_again_is_not_untouched(tmp_path):
    """The same bytes written again, a moment later, are a change: `check_untouched` sees it."""
    path = tmp_path / "breaker.json"
    path.write_bytes(b"{}")
    before = harness.FileMark.of(path)
    path.write_bytes(b"{}")
    assert before.mtime_ns is not None
    os.utime(path, ns=(before.mtime_ns, before.mtime_ns + 1_000_000))  # a millisecond later

    with pytest.raises(AssertionError, match="changed the state file"):
        harness.check_untouched(before, harness.FileMark.of(path), ["reset"])
