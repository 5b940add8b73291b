"""The proxy over real loopback sockets, in front of the embedded upstream."""

import asyncio
import json
import time

import httpx
import pytest

from resilience_cli.proxy import HEALTHY, Action, FaultProfile, FaultProxy
from resilience_cli.proxy.control import ControlApp
from resilience_cli.upstream import UpstreamApp, UpstreamServer

pytestmark = pytest.mark.real_time


@pytest.fixture
async def upstream():
    async with UpstreamServer(UpstreamApp(0)) as server:
        yield server.base_url


@pytest.fixture
async def proxy(upstream):
    async with FaultProxy(upstream) as running:
        yield running


async def test_a_healthy_proxy_forwards_method_path_query_headers_and_body(proxy, upstream):
    """Everything the client sends arrives; Host is the upstream's, as a reverse proxy sets it."""
    async with httpx.AsyncClient(base_url=proxy.base_url) as client:
        response = await client.post(
            "/anything/x", params={"q": "1"}, json={"a": 1}, headers={"X-Test": "yes"}
        )
        chunked = await client.put("/anything", content=iter_bytes())
    echo = response.json()
    assert response.status_code == 200
    assert (echo["method"], echo["args"], echo["json"]) == ("POST", {"q": "1"}, {"a": 1})
    assert echo["headers"]["X-Test"] == "yes"
    assert echo["headers"]["Host"] == upstream.removeprefix("http://")
    assert chunked.json()["data"] == "abcdef"


async def iter_bytes():
    for part in (b"ab", b"cd", b"ef"):
        yield part


async def test_keep_alive_serves_many_requests_on_one_connection(proxy):
    """A client's connection carries one request after another, through one upstream connection."""
    async with httpx.AsyncClient(base_url=proxy.base_url) as client:
        statuses = [(await client.get(f"/status/{code}")).status_code for code in (200, 500, 404)]
        big = await client.get("/anything", params={"x": "y" * 5000})
    assert statuses == [200, 500, 404]
    assert big.json()["args"]["x"] == "y" * 5000


async def test_an_injected_status_answers_without_the_upstream(proxy):
    """A status 503 at 100 %: the proxy answers 503 itself, says so, and keeps the connection."""
    proxy.profile = FaultProfile(status=503)
    async with httpx.AsyncClient(base_url=proxy.base_url) as client:
        first = await client.post("/anything", content=b"x" * 100_000)
        second = await client.get("/get")
    assert (first.status_code, second.status_code) == (503, 503)
    assert first.headers["x-resilience-fault"] == "503"
    assert first.json()["injected_by"] == "resilience upstream proxy"
    assert proxy.fates[Action.PASS] == 0


async def test_a_reset_is_a_transport_error_for_the_client(proxy):
    """A reset at 100 %: the client sees its connection reset (an httpx transport error)."""
    proxy.profile = FaultProfile(reset_rate=1)
    async with httpx.AsyncClient(base_url=proxy.base_url) as client:
        with pytest.raises(httpx.TransportError):
            await client.get("/get")


async def test_a_black_hole_answers_nothing_until_the_client_gives_up(proxy):
    """A black hole at 100 %: no answer; the client's own timeout is what ends it."""
    proxy.profile = FaultProfile(black_hole_rate=1)
    async with httpx.AsyncClient(base_url=proxy.base_url, timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/get")


async def test_latency_first_byte_and_bandwidth_slow_the_answer(proxy):
    """0.2 s latency, then 0.2 s to the first byte: the answer takes at least 0.4 s."""
    proxy.profile = FaultProfile(latency=0.2, first_byte=0.2)
    async with httpx.AsyncClient(base_url=proxy.base_url) as client:
        began = time.perf_counter()
        response = await client.get("/get")
        took = time.perf_counter() - began
        proxy.profile = FaultProfile(bandwidth=20_000)
        began = time.perf_counter()
        slow = await client.get("/anything", params={"x": "y" * 5000})
        slow_took = time.perf_counter() - began
    assert response.status_code == 200
    assert took >= 0.4
    assert len(slow.content) > 5000
    assert slow_took >= len(slow.content) / 20_000 * 0.8


async def test_faults_change_at_run_time_and_back(proxy):
    """A profile set between requests applies to the next one; healthy again, all pass."""
    async with httpx.AsyncClient(base_url=proxy.base_url) as client:
        assert (await client.get("/get")).status_code == 200
        proxy.profile = FaultProfile(status=429)
        assert (await client.get("/get")).status_code == 429
        proxy.profile = HEALTHY
        assert (await client.get("/get")).status_code == 200


async def test_an_upstream_that_is_not_there_is_a_502_naming_it():
    """Nothing listens behind the proxy: 502 Bad Gateway saying which URL could not be reached."""
    async with FaultProxy("http://127.0.0.1:1") as proxy, httpx.AsyncClient() as client:
        response = await client.get(f"{proxy.base_url}/get")
    assert response.status_code == 502
    assert "cannot reach http://127.0.0.1:1" in response.json()["error"]


async def test_a_502_does_not_show_the_upstreams_password():
    """Credentials in --to stay out of the 502's words: the URL is shown as `user:***@`."""
    upstream = "http://teacher:pw-s3cret@127.0.0.1:1"
    async with FaultProxy(upstream) as proxy, httpx.AsyncClient() as client:
        response = await client.get(f"{proxy.base_url}/get")
    assert response.status_code == 502
    assert "cannot reach http://teacher:***@127.0.0.1:1" in response.json()["error"]
    assert "pw-s3cret" not in response.text


async def test_a_malformed_request_gets_400_and_a_closed_connection(proxy):
    """Garbage instead of a request line: 400, then the connection closes."""
    host, port = proxy.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"NOT HTTP AT ALL\r\n\r\n")
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")


async def test_the_control_endpoint_reads_and_changes_the_faults(proxy):
    """PUT sets faults (others healthy), PATCH changes some, DELETE heals; bad keys get 400."""
    async with (
        UpstreamServer(ControlApp(proxy)) as control,
        httpx.AsyncClient(base_url=control.base_url) as client,
    ):
        put = await client.put("/faults", json={"status": 503, "status_rate": 0.3})
        patch = await client.patch("/faults", json={"latency": 0.1})
        bad = await client.put("/faults", json={"latncy": 1})
        state = (await client.get("/faults")).json()
        healed = await client.delete("/faults")
    assert put.json()["describe"] == "status 503 at 30%"
    assert patch.json()["describe"] == "latency 0.1 s, status 503 at 30%"
    assert bad.status_code == 400
    assert "unknown fault 'latncy'" in bad.json()["error"]
    assert state["faults"]["status"] == 503
    assert healed.json()["describe"] == "healthy"
    assert proxy.profile == HEALTHY


def test_the_proxy_refuses_what_it_cannot_forward_to():
    """Only http:// URLs with a host and no path: the proxy forwards the paths itself."""
    for url in ("https://example.test", "ftp://x", "http://h:8/base", "nohost"):
        with pytest.raises(ValueError, match="must"):
            FaultProxy(url)
    assert json.dumps(HEALTHY.to_dict())
