"""A real `redis-server` for the tests: a free loopback port, a temp folder, no persistence.

Debian's `redis-server` package (`.ci/run` installs it when it is missing). On Linux a
missing server fails the test that needs it, loudly: a fake Redis is no substitute for
the concurrency tests. macOS and Windows skip those tests through the `linux_service`
marker (tests/conftest.py), saying why.

Import it by name (`from redis_server import RedisServer`): this folder is on `sys.path`.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from typing import TYPE_CHECKING, Final

import pytest
import redis

if TYPE_CHECKING:
    from pathlib import Path

SERVER: Final = "redis-server"
_READY_WITHIN: Final = 10.0  # seconds for a fresh server to answer PING
_MISSING: Final = (
    "redis-server is not installed: the Redis tests need a real one"
    " (.ci/run installs Debian's redis-server; apt-get install redis-server)"
)


def free_port() -> int:
    """A TCP port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One `redis-server` process the test owns: start, stop, restart on the same port."""

    def __init__(self, folder: Path, *, password: str | None = None) -> None:
        executable = shutil.which(SERVER)
        if executable is None:
            pytest.fail(_MISSING)
        self.executable = executable
        self.folder = folder
        self.port = free_port()
        self.password = password
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """`redis://[:password@]127.0.0.1:PORT/0`."""
        secret = f":{self.password}@" if self.password else ""
        return f"redis://{secret}127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        """A plain client of its database 0, for the tests' own looks."""
        return redis.Redis.from_url(self.url, socket_timeout=5)

    def start(self) -> None:
        """Start it (no RDB, no AOF: a restart loses every key) and wait for PING."""
        args = [
            self.executable,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.folder),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
        ]  # fmt: skip
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.folder
        )
        client = self.client()
        deadline = time.monotonic() + _READY_WITHIN
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"redis-server did not start on port {self.port}")
                    time.sleep(0.01)
        finally:
            client.close()

    def stop(self) -> None:
        """Stop it and wait until it is gone."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def restart(self) -> None:
        """Stop and start again on the same port: without persistence, every key is gone."""
        self.stop()
        self.start()

    def flush(self) -> None:
        """Forget every key and every cached script."""
        client = self.client()
        with contextlib.closing(client):
            client.flushall()
            client.script_flush()
