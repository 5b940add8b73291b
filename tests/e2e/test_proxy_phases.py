"""End to end: the installed `resilience upstream proxy --phase`, before the embedded upstream."""

import re
import subprocess
import time

import httpx
from command_path import RESILIENCE

PHASES = ["--phase", "0s:status=503", "--phase", "3s:healthy"]
DEADLINE = 30.0  # seconds: the second phase begins 3 s after the proxy listens
PACE = 0.05  # seconds between polls: gentle on a shared machine; no answer waits on it


def test_the_proxy_answers_as_its_phases_say_as_time_goes_by(loopback_upstream, tmp_path):
    """503 from the proxy while the first phase lasts, then the upstream's 200, polled for."""
    command = [RESILIENCE, "upstream", "proxy", "--to", loopback_upstream]
    with subprocess.Popen(
        [*command, "--port", "0", "--control-port", "0", *PHASES],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    ) as proxy:
        assert proxy.stderr is not None
        try:
            ready = proxy.stderr.readline()  # written once both listen
            phases = proxy.stderr.readline()
            proxy_url, _, control = re.findall(r"http://127\.0\.0\.1:\d+", ready)
            statuses, state = poll_until_healthy(proxy_url, control)
        finally:
            proxy.terminate()
            proxy.wait(timeout=10)
    assert "(status 503)" in ready
    assert phases.strip() == "fault phases from now: 0s:status=503 3s:healthy"
    assert statuses[0] == 503
    assert statuses[-1] == 200
    assert set(statuses) == {503, 200}
    assert (state["source"], state["describe"]) == ("schedule", "healthy")
    assert state["elapsed_s"] >= 3


def poll_until_healthy(proxy_url: str, control: str) -> tuple[list[int], dict[str, object]]:
    """GET /get through the proxy until it answers 200 (or the deadline passes); the statuses."""
    statuses: list[int] = []
    give_up = time.monotonic() + DEADLINE
    with httpx.Client(timeout=5) as client:
        while not statuses or statuses[-1] != 200:
            assert time.monotonic() < give_up, f"still no 200 after {DEADLINE} s: {statuses[-3:]}"
            statuses.append(client.get(f"{proxy_url}/get").status_code)
            state = client.get(f"{control}/faults").json()
            time.sleep(PACE)
    return statuses, state
