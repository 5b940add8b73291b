"""Out of file descriptors, for real: `upstream serve` under a low RLIMIT_NOFILE."""

import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from platforms import NO_RLIMIT_NOFILE, NO_SIGNALS_TO_A_CHILD

pytestmark = [pytest.mark.real_time, NO_RLIMIT_NOFILE, NO_SIGNALS_TO_A_CHILD]

LIMIT = 64  # descriptors for the whole server process: a few dozen go to connections
SERVE = (
    "import resource, sys\n"
    f"resource.setrlimit(resource.RLIMIT_NOFILE, ({LIMIT}, {LIMIT}))\n"
    "from resilience_cli.cli import main\n"
    "sys.argv = ['resilience', 'upstream', 'serve', '--port', '0']\n"
    "main()\n"
)


def health_within(url: str, seconds: float) -> int:
    """The first status /health answers within `seconds`, retrying refusals and timeouts."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(f"{url}/health", timeout=2).status_code
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_out_of_descriptors_the_server_says_so_once_and_serves_again(tmp_path):
    """More idle connections than descriptors: one warning line, and /health once they close."""
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE], cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    assert server.stderr is not None
    pump = threading.Thread(target=lambda: [lines.put(line) for line in server.stderr])
    pump.start()
    idle: list[socket.socket] = []
    try:
        ready = lines.get(timeout=30)
        url = re.search(r"http://127\.0\.0\.1:\d+", ready)
        assert url, ready
        port = int(url.group(0).rsplit(":", 1)[1])
        # More than the server can hold; the rest wait in the listen backlog (100).
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(LIMIT + 30)]
        warning = lines.get(timeout=30)
        assert "out of file descriptors" in warning, warning
        for sock in idle:
            sock.close()
        assert health_within(url.group(0), 30) == 200
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 130
    finally:
        for sock in idle:
            sock.close()
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
        pump.join(timeout=30)
        server.stderr.close()
    rest = list(lines.queue)
    assert rest == ["stopped\n"], rest  # nothing between the one warning and the stop
