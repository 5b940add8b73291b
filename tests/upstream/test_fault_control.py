"""The embedded upstream under fault phases, and its loopback-only `/fault` control."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app as cli
from resilience_cli.cli import runtime
from resilience_cli.errors import UsageError
from resilience_cli.faults import Schedule, parse_phase
from resilience_cli.targets import embedded_app
from resilience_cli.upstream import UpstreamApp, UpstreamServer
from resilience_cli.upstream.fault_control import FaultControl, LiveFaults
from resilience_cli.virtual_time import VirtualClock

SCHEDULE = Schedule.of(
    parse_phase(text) for text in ("10s:status=500@0.6", "25s:delay=3s", "40s:healthy")
)


def client_of(app, client=("127.0.0.1", 5000)):
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=client), base_url="http://upstream"
    )


async def test_the_app_answers_as_the_phase_in_force_says(clock):
    """Healthy, then 60 % 500s, then every call 3 s late, then healthy: on the run's clock."""
    faults = LiveFaults(SCHEDULE, clock=clock.monotonic, seed=1)
    faults.start()
    async with client_of(UpstreamApp(1, faults=faults)) as client:
        assert (await client.get("/get")).status_code == 200
        clock.jump(10)
        statuses = [(await client.get("/get")).status_code for _ in range(500)]
        assert 0.5 < statuses.count(500) / 500 < 0.7
        failed = await client.get("/status/200")
        while failed.status_code != 500:
            failed = await client.get("/status/200")
        assert failed.headers["x-resilience-fault"] == "status=500"
        assert failed.content == b""
        clock.jump(15)
        began = clock.monotonic()
        assert (await client.get("/get")).status_code == 200
        assert clock.monotonic() - began == 3.0
        clock.jump(15)
        began = clock.monotonic()
        assert (await client.get("/get")).status_code == 200
        assert clock.monotonic() == began


async def test_health_is_never_faulted(clock):
    """`/health` answers 200 under any fault: `upstream check` tells the server is up."""
    faults = LiveFaults(Schedule.of([parse_phase("0s:status=503")]), clock=clock.monotonic)
    faults.start()
    async with client_of(UpstreamApp(faults=faults)) as client:
        assert (await client.get("/get")).status_code == 503
        assert (await client.get("/health")).status_code == 200


async def test_faults_draw_from_their_own_rng(clock):
    """The app's own random answers are the same with a healthy fault schedule or none."""

    async def answers(faults):
        async with client_of(UpstreamApp(3, faults=faults)) as client:
            return [(await client.get("/status/200,500")).status_code for _ in range(50)]

    faults = LiveFaults(Schedule.of([parse_phase("0s:healthy")]), clock=clock.monotonic, seed=3)
    faults.start()
    assert await answers(faults) == await answers(None)


async def test_the_control_sets_shows_and_clears_a_fault(clock):
    """PUT sets a fault over the schedule, GET shows it, DELETE goes back to the schedule."""
    faults = LiveFaults(SCHEDULE, clock=clock.monotonic)
    faults.start()
    app = embedded_app(0, clock.wall, faults)
    async with client_of(app) as client:
        shown = (await client.get("/fault")).json()
        assert shown == {
            "fault": "healthy",
            "source": "schedule",
            "schedule": "10s:status=500@0.6 25s:delay=3s 40s:healthy",
            "elapsed_s": 0.0,
        }
        put = await client.put("/fault", content="status=503")
        assert (put.status_code, put.json()["fault"], put.json()["source"]) == (
            200,
            "status=503",
            "set",
        )
        assert (await client.get("/get")).status_code == 503
        assert (await client.delete("/fault")).json()["source"] == "schedule"
        assert (await client.get("/get")).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("status=99", "status '99' must be a code from 200 to 599"),
        ("x" * 2000, "at most 1024 bytes"),
        (b"\xff", "UTF-8"),
    ],
)
async def test_a_bad_fault_is_a_400_that_says_why(clock, body, message):
    """A fault that does not parse changes nothing and answers 400 with the reason."""
    faults = LiveFaults(clock=clock.monotonic)
    async with client_of(FaultControl(UpstreamApp(faults=faults), faults)) as client:
        answer = await client.put("/fault", content=body)
        assert answer.status_code == 400
        assert message in answer.json()["error"]
        assert faults.current().healthy
        assert (await client.post("/fault", content="healthy")).status_code == 200
        assert (await client.patch("/fault", content="healthy")).status_code == 405


@pytest.mark.parametrize("address", ["192.168.1.20", "10.0.0.1", "::2", "not an address"])
async def test_only_loopback_clients_steer_faults(clock, address):
    """A client off this machine gets 403 from /fault, and the fault stays as it was."""
    faults = LiveFaults(clock=clock.monotonic)
    async with client_of(FaultControl(UpstreamApp(faults=faults), faults), (address, 1)) as client:
        answer = await client.put("/fault", content="status=500")
        assert answer.status_code == 403
        assert faults.current().healthy
        assert (await client.get("/get")).status_code == 200


@pytest.mark.parametrize("address", ["127.0.0.1", "127.3.4.5", "::1", "::ffff:127.0.0.1"])
async def test_every_loopback_address_steers_faults(clock, address):
    """IPv4 and IPv6 loopback, mapped or not, may use the control."""
    faults = LiveFaults(clock=clock.monotonic)
    async with client_of(FaultControl(UpstreamApp(faults=faults), faults), (address, 1)) as client:
        assert (await client.put("/fault", content="status=500")).status_code == 200


def test_phases_against_another_url_are_refused():
    """Fault phases change the embedded upstream only: with --base-url, one line, exit 2."""
    faults = LiveFaults(SCHEDULE, clock=VirtualClock().monotonic)
    with pytest.raises(UsageError, match="drop --base-url"):
        runtime.choose_target(
            "http://example.test", 0, VirtualClock(), virtual_time=False, faults=faults
        )


@pytest.mark.real_time
async def test_upstream_fault_steers_a_served_upstream_from_another_process():
    """`resilience upstream fault status=500` over loopback: the server answers 500 after it."""
    faults = LiveFaults(clock=asyncio.get_running_loop().time)
    async with UpstreamServer(embedded_app(0, lambda: 0.0, faults)) as server:
        url = server.base_url

        def fault(*args):
            return CliRunner().invoke(
                cli, ["upstream", "fault", *args, "--base-url", url, "--json"]
            )

        loop = asyncio.get_running_loop()
        shown = await loop.run_in_executor(None, fault, "status=500@1")
        assert shown.exit_code == 0, shown.output
        assert json.loads(shown.stdout)["fault"] == "status=500"
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/get")).status_code == 500
            cleared = await loop.run_in_executor(None, fault, "--clear")
            assert json.loads(cleared.stdout)["source"] == "none"
            assert (await client.get("/get")).status_code == 200


def test_upstream_fault_refuses_a_bad_fault_before_asking():
    """A fault that does not parse is exit 2, with nothing sent."""
    result = CliRunner().invoke(cli, ["upstream", "fault", "status=42"])
    assert result.exit_code == 2
    assert "fault: status '42' must be a code" in result.output


def test_upstream_fault_says_when_nothing_listens():
    """Nothing at the URL: one line that says so, exit 3."""
    result = CliRunner().invoke(cli, ["upstream", "fault", "--base-url", "http://127.0.0.1:1"])
    assert result.exit_code == 3
    assert "connection refused at http://127.0.0.1:1" in result.output


def test_upstream_serve_refuses_a_bad_phase_before_listening():
    """`upstream serve --phase 10s:loss=1`: one line naming it, exit 2, nothing served."""
    result = CliRunner().invoke(cli, ["upstream", "serve", "--port", "0", "--phase", "10s:loss=1"])
    assert result.exit_code == 2
    assert "--phase: 'loss=1' must be status=CODE" in result.output
