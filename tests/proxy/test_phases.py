"""Fault phases on the proxy: the mapping onto its profile, and the schedule over time."""

import asyncio

import httpx
import pytest
from typer.testing import CliRunner

from resilience_cli.cli import app
from resilience_cli.faults import Schedule, parse_fault, parse_phase
from resilience_cli.proxy import HEALTHY, FaultProfile, FaultSwitch
from resilience_cli.proxy.faults import profile_of
from resilience_cli.proxy.transport import FaultyTransport
from resilience_cli.upstream import UpstreamApp


def schedule(*phases):
    return Schedule.of(parse_phase(text) for text in phases)


class MovedClock:
    """A monotonic clock that moves only when the test moves it."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize(
    ("fault", "profile"),
    [
        ("healthy", HEALTHY),
        ("status=503@0.6", FaultProfile(status=503, status_rate=0.6)),
        ("status=500", FaultProfile(status=500)),
        ("delay=3s@0.3", FaultProfile(latency=3, latency_rate=0.3)),
        ("delay=250ms", FaultProfile(latency=0.25)),
        (
            "status=429@50%,delay=1s@0.2",
            FaultProfile(status=429, status_rate=0.5, latency=1, latency_rate=0.2),
        ),
        ("status=500@0", HEALTHY),
        ("status=500@0,delay=1s", FaultProfile(latency=1)),
        ("status=500,delay=1s@0", FaultProfile(status=500)),
    ],
)
def test_a_phase_fault_maps_onto_the_proxy_profile(fault, profile):
    """A status is the error status at its chance, a delay the latency at its; healthy is none."""
    assert profile_of(parse_fault(fault)) == profile


def test_the_switch_follows_its_schedule_from_start_on_the_clock_it_is_given():
    """Healthy before start and before the first phase; then each phase's profile in turn."""
    clock = MovedClock()
    switch = FaultSwitch(
        schedule=schedule("5s:status=503@0.6", "10s:delay=2s", "20s:healthy"), clock=clock
    )
    assert (switch.profile, switch.elapsed, switch.source) == (HEALTHY, None, "schedule")
    switch.start()
    seen = []
    for at in (0, 4.9, 5, 9.9, 10, 19.9, 20, 1000):
        clock.now = 100 + at
        seen.append(switch.profile)
    assert seen == [
        HEALTHY,
        HEALTHY,
        FaultProfile(status=503, status_rate=0.6),
        FaultProfile(status=503, status_rate=0.6),
        FaultProfile(latency=2),
        FaultProfile(latency=2),
        HEALTHY,
        HEALTHY,
    ]
    clock.now = 200
    switch.start()  # a second listen: the schedule keeps its first start
    assert switch.elapsed == 100


def test_faults_set_by_hand_hold_over_the_schedule_until_cleared():
    """A profile set holds whatever the phase; clear() goes back to the schedule's."""
    clock = MovedClock()
    switch = FaultSwitch(schedule=schedule("0s:status=500", "10s:healthy"), clock=clock)
    switch.start()
    switch.profile = FaultProfile(reset_rate=1)
    assert (switch.profile, switch.source) == (FaultProfile(reset_rate=1), "set")
    clock.now += 15
    assert switch.profile == FaultProfile(reset_rate=1)
    switch.profile = HEALTHY  # healthy by hand also holds over a phase
    clock.now -= 10
    assert (switch.profile, switch.source) == (HEALTHY, "set")
    switch.clear()
    assert (switch.profile, switch.source) == (FaultProfile(status=500), "schedule")


def test_without_a_schedule_faults_at_start_are_set_and_clear_heals():
    """The flags' profile is in force until cleared; cleared, no schedule means healthy."""
    switch = FaultSwitch(FaultProfile(status=503))
    switch.start()
    assert (switch.profile, switch.source, switch.elapsed) == (
        FaultProfile(status=503),
        "set",
        None,
    )
    switch.clear()
    assert (switch.profile, switch.source) == (HEALTHY, "none")


def test_a_schedule_without_a_clock_is_refused():
    """Phases are read against a clock: the switch refuses to be built without one."""
    with pytest.raises(ValueError, match="clock"):
        FaultSwitch(schedule=schedule("1s:healthy"))


async def test_the_schedule_switches_the_answers_over_virtual_time(clock):
    """In-process on the virtual clock: 200s, then the proxy's 503s, then 200s again."""
    switch = FaultSwitch(schedule=schedule("10s:status=503", "20s:healthy"), clock=clock.monotonic)
    transport = FaultyTransport(httpx.ASGITransport(app=UpstreamApp(0)), switch)
    async with httpx.AsyncClient(transport=transport, base_url="http://upstream") as client:
        switch.start()
        statuses = []
        for _ in range(3):
            statuses.append((await client.get("/get")).status_code)
            await asyncio.sleep(10)
    assert statuses == [200, 503, 200]


async def test_a_delay_phase_slows_the_answers_by_its_seconds_in_virtual_time(clock):
    """delay=3s at 100 %: each call takes the 3 virtual seconds; healthy again, none."""
    switch = FaultSwitch(schedule=schedule("0s:delay=3s", "60s:healthy"), clock=clock.monotonic)
    transport = FaultyTransport(httpx.ASGITransport(app=UpstreamApp(0)), switch)
    async with httpx.AsyncClient(transport=transport, base_url="http://upstream") as client:
        switch.start()
        took = []
        for wait in (0, 60):
            await asyncio.sleep(wait)
            began = clock.monotonic()
            assert (await client.get("/get")).status_code == 200
            took.append(clock.monotonic() - began)
    assert took == [pytest.approx(3), 0]


@pytest.mark.parametrize(
    ("phases", "problem"),
    [
        (["10s:loss=1"], "error: --phase: 'loss=1' must be status=CODE[@CHANCE] or delay="),
        (["10s:status=700"], "error: --phase: status '700' must be a code from 200 to 599"),
        (["soon:healthy"], "error: --phase: the time of 'soon:healthy' must be a duration"),
        (["status=500"], "error: --phase: 'status=500' must be <time>:<fault>"),
        (["5s:healthy", "5s:status=500"], "error: --phase: two phases start at 5s"),
    ],
)
def test_upstream_proxy_refuses_a_bad_phase_in_one_line_before_listening(phases, problem):
    """A phase that does not parse: one line naming it, exit 2, nothing served."""
    flags = [flag for text in phases for flag in ("--phase", text)]
    result = CliRunner().invoke(
        app, ["upstream", "proxy", "--to", "http://127.0.0.1:1", "--port", "0", *flags]
    )
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(problem)


def test_upstream_proxy_refuses_fault_flags_beside_phases():
    """Flags would hold over the schedule for good: the two together are one line, exit 2."""
    result = CliRunner().invoke(
        app,
        [
            "upstream",
            "proxy",
            "--to",
            "http://127.0.0.1:1",
            "--error",
            "503",
            "--phase",
            "0s:healthy",
        ],
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == "error: give fault flags or --phase, not both"
