"""`resilience upstream faults` against a running proxy's control endpoint."""

import asyncio
import json

import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app
from resilience_cli.proxy import HEALTHY, FaultProfile, FaultProxy
from resilience_cli.proxy.control import ControlApp
from resilience_cli.upstream import UpstreamApp, UpstreamServer

pytestmark = pytest.mark.real_time
runner = CliRunner()


@pytest.fixture
async def proxy():
    async with UpstreamServer(UpstreamApp(0)) as upstream, FaultProxy(upstream.base_url) as running:
        yield running


async def faults(control: str, *args: str):
    """The command, in a thread: the proxy answers on this test's event loop meanwhile."""
    return await asyncio.to_thread(
        runner.invoke, app, ["upstream", "faults", "--control", control, *args]
    )


async def test_the_command_shows_sets_keeps_and_clears_faults(proxy):
    """No flag shows; flags replace; --keep changes only those given; --clear heals."""
    async with UpstreamServer(ControlApp(proxy)) as control:
        url = control.base_url
        shown = await faults(url)
        replaced = await faults(url, "--error", "503:0.5", "--latency", "0.2", "--jitter", "0.1")
        kept = await faults(url, "--keep", "--reset", "0.1")
        assert proxy.profile == FaultProfile(
            latency=0.2, jitter=0.1, status=503, status_rate=0.5, reset_rate=0.1
        )
        as_json = await faults(url, "--json")
        cleared = await faults(url, "--clear")
    for result in (shown, replaced, kept, as_json, cleared):
        assert result.exit_code == 0, result.output
    assert shown.stdout.startswith("faults: healthy (upstream http://127.0.0.1:")
    assert replaced.stdout.startswith("faults: latency 0.2 s ± 0.1 s, status 503 at 50%")
    assert "reset at 10%" in kept.stdout
    assert json.loads(as_json.stdout)["faults"]["status"] == 503
    assert cleared.stdout.startswith("faults: healthy")
    assert proxy.profile == HEALTHY


async def test_a_control_that_does_not_answer_is_exit_3_in_one_line():
    """Nothing listening at --control: the proxy is not there, an infrastructure failure."""
    result = await faults("http://127.0.0.1:1", "--error", "503")
    assert result.exit_code == 3, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: cannot reach the proxy's control at http://127.0.0.1:1")
