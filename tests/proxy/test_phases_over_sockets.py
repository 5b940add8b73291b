"""Fault phases on the proxy over loopback sockets: its answers, its control, `upstream faults`.

The schedule is read against a clock the test moves: the sockets are real, time is not.
"""

import asyncio

import httpx
import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app
from resilience_cli.faults import Schedule, parse_phase
from resilience_cli.proxy import FaultProfile, FaultProxy, FaultSwitch
from resilience_cli.proxy.control import ControlApp
from resilience_cli.upstream import UpstreamApp, UpstreamServer

pytestmark = pytest.mark.real_time
runner = CliRunner()


class MovedClock:
    """A monotonic clock that moves only when the test moves it."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return MovedClock()


@pytest.fixture
async def proxy(clock):
    phases = Schedule.of(map(parse_phase, ("0s:status=503", "10s:healthy", "20s:status=500")))
    switch = FaultSwitch(schedule=phases, clock=clock)
    async with (
        UpstreamServer(UpstreamApp(0)) as upstream,
        FaultProxy(upstream.base_url, switch=switch) as running,
    ):
        yield running


@pytest.fixture
async def control(proxy):
    async with UpstreamServer(ControlApp(proxy)) as server:
        yield server.base_url


async def test_the_phases_run_from_the_moment_the_proxy_listens(proxy, clock):
    """Listening started the schedule: its answers follow the phases as the clock moves."""
    assert proxy.switch.elapsed == 0
    async with httpx.AsyncClient(base_url=proxy.base_url) as client:
        statuses = []
        for at in (0, 9.9, 10, 19.9, 20):
            clock.now = at
            statuses.append((await client.get("/get")).status_code)
    assert statuses == [503, 503, 200, 200, 500]


async def test_the_control_overrides_the_schedule_and_delete_goes_back_to_it(proxy, clock, control):
    """PUT holds over every phase; DELETE drops it: the schedule's phase answers again."""
    async with (
        httpx.AsyncClient(base_url=proxy.base_url) as client,
        httpx.AsyncClient(base_url=control) as steer,
    ):
        first = (await steer.get("/faults")).json()
        put = (await steer.put("/faults", json={"status": 429})).json()
        overridden = (await client.get("/get")).status_code
        clock.now = 15  # a healthy phase: the fault set by hand still holds
        still = (await client.get("/get")).status_code
        deleted = (await steer.delete("/faults")).json()
        back = (await client.get("/get")).status_code
        clock.now = 25
        later = (await client.get("/get")).status_code
    assert (first["source"], first["describe"], first["elapsed_s"]) == ("schedule", "status 503", 0)
    assert first["schedule"] == "0s:status=503 10s:healthy 20s:status=500"
    assert (put["source"], put["describe"]) == ("set", "status 429")
    assert (overridden, still) == (429, 429)
    assert (deleted["source"], deleted["describe"]) == ("schedule", "healthy")
    assert (back, later) == (200, 500)


async def test_upstream_faults_shows_the_schedule_sets_over_it_and_clears_back(
    proxy, clock, control
):
    """The command says where the faults come from, and --clear returns to the schedule."""

    async def faults(*args):
        return await asyncio.to_thread(
            runner.invoke, app, ["upstream", "faults", "--control", control, *args]
        )

    clock.now = 12.5
    shown = await faults()
    set_by_hand = await faults("--error", "503:0.5")
    assert proxy.profile == FaultProfile(status=503, status_rate=0.5)
    cleared = await faults("--clear")
    for result in (shown, set_by_hand, cleared):
        assert result.exit_code == 0, result.output
    schedule = "schedule: 0s:status=503 10s:healthy 20s:status=500  (elapsed 12.5 s)"
    assert shown.stdout.splitlines() == [
        f"faults: healthy (upstream {proxy.upstream.shown}, from the schedule)",
        schedule,
    ]
    assert set_by_hand.stdout.startswith("faults: status 503 at 50% (upstream ")
    assert ", set by hand)" in set_by_hand.stdout
    assert cleared.stdout.splitlines()[0].endswith("from the schedule)")
    assert proxy.switch.source == "schedule"
