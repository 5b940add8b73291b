"""A scenario that calls an endpoint only the embedded upstream has, against another URL."""

import asyncio
import socket

import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app
from resilience_cli.endpoints import embedded_only, is_embedded_upstream
from resilience_cli.upstream import UpstreamApp, UpstreamServer

runner = CliRunner()
FILE = """\
version: 1
title: flaky
steps:
  - name: flaky calls
    invoke: {count: 2, mix: "/unstable?failure_rate=0:1"}
    policies: {retry: {attempts: 1}}
    expect: {outcome.success: rate == 1}
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """A fresh folder, no inherited target."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESILIENCE_STATE_FILE", raising=False)
    monkeypatch.delenv("RESILIENCE_BASE_URL", raising=False)
    (tmp_path / "flaky.yaml").write_text(FILE)
    return tmp_path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [
        ("/unstable?failure_rate=0.3", "/unstable"),
        ("/retry-after/2", "/retry-after"),
        ("/health", "/health"),
        ("/healthy", None),
        ("/get", None),
    ],
)
def test_the_endpoints_only_the_embedded_upstream_has_are_known_by_path(path, endpoint):
    """A path is matched by its whole first segment, its query left aside."""
    assert embedded_only(path) == endpoint


@pytest.mark.real_time
async def test_what_a_url_is_is_asked_of_its_health():
    """Ours says so; another server is not ours; one that does not answer cannot be told."""
    async with UpstreamServer(UpstreamApp(0)) as ours:
        assert await is_embedded_upstream(ours.base_url) is True
    assert await is_embedded_upstream(f"http://127.0.0.1:{closed_port()}", wait=2) is None


@pytest.mark.real_time
def test_a_url_that_does_not_answer_is_not_said_to_lack_the_endpoint():
    """Nothing listening: the run goes on and fails on its connect errors (exit 1), honestly."""
    url = f"http://127.0.0.1:{closed_port()}"
    result = runner.invoke(app, ["run", "flaky.yaml", "--base-url", url])
    assert result.exit_code == 1, result.output
    assert "has no /unstable" not in result.output


@pytest.mark.real_time
def test_a_url_that_is_not_the_embedded_upstream_is_refused_naming_the_endpoint(in_tmp):
    """A server whose /health is not ours: exit 2 before any call, one line naming /unstable."""

    async def serve_and_run():
        # A server that answers, but not as the embedded upstream: its /health is a 404.
        async def not_ours(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(
                b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(not_ours, "127.0.0.1", 0)
        async with server:
            url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            return await asyncio.to_thread(
                runner.invoke, app, ["run", "flaky.yaml", "--base-url", url]
            )

    result = asyncio.run(serve_and_run())
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "calls /unstable?failure_rate=0, and http://127.0.0.1:" in lines[0]
    assert "has no /unstable" in lines[0]
    assert not (in_tmp / "logs").exists()
