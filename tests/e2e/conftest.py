"""Fixtures for running the installed command: the command itself, and a loopback upstream."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from command_path import RESILIENCE

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path


@dataclass(frozen=True)
class Installed:
    """The installed `resilience`, run in one folder with a clean environment."""

    cwd: Path

    def run(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[bytes]:
        """Run it to the end; stdout and stderr are bytes, in UTF-8 unless `env` says otherwise."""
        clean = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("RESILIENCE_", "PYTHONIOENCODING", "GITHUB_"))
            and key != "COLUMNS"
        }
        return subprocess.run(
            [RESILIENCE, *args],
            cwd=self.cwd,
            # UTF-8 unless the test says otherwise: on Windows a pipe is cp1252 by default.
            env=clean | {"PYTHONIOENCODING": "utf-8"} | dict(env or {}),
            capture_output=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture
def installed(tmp_path: Path) -> Installed:
    """The installed command, run in the test's own folder."""
    return Installed(tmp_path)


@pytest.fixture
def loopback_upstream(tmp_path: Path) -> Iterator[str]:
    """`resilience upstream serve --port 0` on 127.0.0.1, for as long as the test runs."""
    with subprocess.Popen(
        [RESILIENCE, "upstream", "serve", "--port", "0"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        assert server.stderr is not None
        ready = server.stderr.readline()  # written once it listens
        match = re.search(r"http://127\.0\.0\.1:\d+", ready)
        assert match, ready
        try:
            yield match.group(0)
        finally:
            server.terminate()
            server.wait(timeout=10)


@pytest.fixture
def proxied_httpbin(httpbin_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`resilience upstream proxy --to <real httpbin>` on free ports: (proxy URL, control URL)."""
    with subprocess.Popen(
        [
            RESILIENCE,
            "upstream",
            "proxy",
            "--to",
            httpbin_url,
            "--port",
            "0",
            "--control-port",
            "0",
        ],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    ) as proxy:
        assert proxy.stderr is not None
        ready = proxy.stderr.readline()  # written once both listen
        found = re.findall(r"http://127\.0\.0\.1:\d+", ready)
        assert len(found) == 3, ready  # the proxy, the upstream, the control endpoint
        try:
            yield found[0], found[2]
        finally:
            proxy.terminate()
            proxy.wait(timeout=10)
