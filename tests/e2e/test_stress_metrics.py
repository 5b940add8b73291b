"""`resilience stress` as installed, over real loopback sockets, scraped while it runs."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from platforms import NO_SIGNALS_TO_A_CHILD
from prometheus_client.parser import text_string_to_metric_families

pytestmark = [NO_SIGNALS_TO_A_CHILD, pytest.mark.slow]

BIN = Path(sys.executable).parent / "resilience"
RESILIENCE = str(BIN) if BIN.exists() else (shutil.which("resilience") or "resilience")


def lines_of(stream) -> queue.Queue[str]:
    """The stream's lines as they come, read by a thread so that no read can hang a test."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def retry_calls(url: str) -> float:
    """The calls counted so far, as prometheus_client's parser reads the scrape."""
    text = httpx.get(url, timeout=5).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "resilience4j_retry_calls"
        for sample in family.samples
        if sample.name.endswith("_total")
    )


def test_metrics_are_scraped_during_a_real_stress_run(tmp_path):
    """`stress --metrics-port 0`: /metrics counts calls while it runs; SIGTERM saves, exits 143."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESILIENCE_")}
    args = ["stress", "--duration", "60s", "--arrival-rate", "20", "--metrics-port", "0"]
    with subprocess.Popen(
        [RESILIENCE, *args, "--json"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as run:
        try:
            errors = lines_of(run.stderr)
            first = errors.get(timeout=60)
            found = re.search(r"metrics at (http://127\.0\.0\.1:\d+/metrics)", first)
            assert found, first
            url = found[1]
            deadline = time.monotonic() + 60
            seen = retry_calls(url)
            while seen < 20:  # a second of arrivals, at least
                assert run.poll() is None, "the run ended before it was scraped"
                assert time.monotonic() < deadline, "no call was ever counted"
                time.sleep(0.1)
                seen = retry_calls(url)
            run.send_signal(signal.SIGTERM)
            out, _ = run.communicate(timeout=60)
        finally:
            run.kill()
    assert run.returncode == 143
    document = json.loads(out)
    assert document["calls"] >= seen
    assert document["stress"]["arrivals"] >= 20
    assert (tmp_path / ".resilience" / "breaker.json").exists()
