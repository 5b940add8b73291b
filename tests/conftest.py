"""Shared fixtures: every async test runs on a virtual-time event loop unless marked.

`@pytest.mark.real_time` puts a test on a stock asyncio loop, for tests that talk over
real sockets: a virtual loop would jump past a reply that is merely in flight.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings as hypothesis_settings
from redis_server import RedisServer

from resilience_cli.event_loops import event_loop_for
from resilience_cli.virtual_time import VirtualClock, VirtualEventLoop, WallOrigin

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping


# Every random decision has a seed, the property tests' too: by default hypothesis draws
# the same examples on every run, so a red CI run is red again on a laptop. A nightly job
# explores new examples with HYPOTHESIS_PROFILE=explore.
hypothesis_settings.register_profile("deterministic", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers this suite uses."""
    config.addinivalue_line("markers", "real_time: run this async test on a real-time loop")
    config.addinivalue_line(
        "markers",
        "slow: runs whole demos in real time (tens of seconds); CI runs it,"
        " `pytest -m 'not slow'` leaves it out while you work",
    )
    config.addinivalue_line(
        "markers",
        "linux_service(name): needs a service CI starts on Linux only (redis-server, ...);"
        " skipped on macOS and Windows, and only there",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test of a Linux-only service skips on macOS and Windows, saying which service.

    On Linux it always runs: a missing service there is a failure, not a skip.
    """
    marker = item.get_closest_marker("linux_service")
    if marker is not None and not sys.platform.startswith("linux"):
        pytest.skip(f"needs {marker.args[0]}, which CI runs on Linux only")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test says, in a one-line docstring, which behaviour it checks."""
    undocumented = [
        item.nodeid
        for item in items
        if isinstance(item, pytest.Function) and not (item.function.__doc__ or "").strip()
    ]
    if undocumented:
        raise pytest.UsageError(f"tests without a docstring: {', '.join(undocumented)}")


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    """One loop per test: virtual by default, real for tests marked `real_time`."""
    del config
    if item.get_closest_marker("real_time") is not None:
        return {"real": asyncio.new_event_loop}
    # FIXED: every test sees the same wall times, run after run.
    return {"virtual": lambda: event_loop_for(VirtualClock(wall_origin=WallOrigin.FIXED))}


@pytest.fixture
async def clock() -> VirtualClock:
    """The virtual clock of the running test's event loop."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualEventLoop), "real-time tests have no virtual clock"
    return loop.clock


@pytest.fixture(scope="session")
def httpbin_url() -> Iterator[str]:
    """The reference httpbin under waitress on 127.0.0.1, for the session."""
    from httpbin_server import serve_httpbin  # noqa: PLC0415 - only the tests that need it

    with serve_httpbin() as url:
        yield url


@pytest.fixture(scope="session")
def _redis_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for the session's tests that only need a clean one."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_server(_redis_session: RedisServer) -> RedisServer:
    """The session's redis-server, with no key and no cached script left by another test."""
    _redis_session.flush()
    return _redis_session


@pytest.fixture
def own_redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server of the test's own, to stop and restart as it likes."""
    server = RedisServer(tmp_path_factory.mktemp("own-redis"))
    server.start()
    yield server
    server.stop()
