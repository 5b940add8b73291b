"""`run --interactive` at a real terminal: Ctrl-C at the prompt ends the run at once."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

import pytest
from command_path import RESILIENCE


def read_until(stream: int, text: bytes, seconds: float) -> bytes:
    """What `stream` printed, up to and including `text`, or all of it after `seconds`."""
    seen = b""
    deadline = time.monotonic() + seconds
    while text not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.1)
        if ready:
            chunk = os.read(stream, 4096)
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal (POSIX pty)")
def test_ctrl_c_at_the_prompt_exits_130_at_once(tmp_path):
    """At a terminal's prompt, Ctrl-C runs `finally` and exits 130 without another Enter."""
    import pty  # noqa: PLC0415 - POSIX only

    controller, terminal = pty.openpty()
    env = {key: value for key, value in os.environ.items() if not key.startswith("RESILIENCE_")}
    with subprocess.Popen(
        [RESILIENCE, "run", "circuit-breaker", "--interactive"],
        cwd=tmp_path,
        env=env | {"PYTHONIOENCODING": "utf-8"},
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        os.close(terminal)
        try:
            assert process.stdout is not None
            shown = read_until(process.stdout.fileno(), b"press Enter", 30)
            assert b"press Enter" in shown
            os.write(controller, b"\n")  # run the first step (reset), then wait at the second
            shown = read_until(process.stdout.fileno(), b"press Enter", 30)
            assert b"press Enter" in shown
            interrupted = time.monotonic()
            process.send_signal(signal.SIGINT)
            code = process.wait(timeout=10)
            assert time.monotonic() - interrupted < 3
        finally:
            if process.poll() is None:  # it hung: do not let the test hang with it
                process.kill()
            os.close(controller)
        assert process.stderr is not None
        assert code == 130, process.stderr.read()
        # Said once, in the verdict line on stdout (stderr stays for errors).
        assert b"; finally ran, state saved" in process.stdout.read()
