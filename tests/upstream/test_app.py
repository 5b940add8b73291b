import asyncio
import base64
import math
from collections import Counter
from email.utils import parsedate_to_datetime

import httpx
import pytest

from resilience_cli.errors import ConfigError
from resilience_cli.event_loops import event_loop_for
from resilience_cli.upstream import UpstreamApp
from resilience_cli.upstream.app import SEEDS_KEPT
from resilience_cli.virtual_time import VirtualClock

WALL = 1_767_225_600.25


def client_for(app):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://upstream")


@pytest.fixture
async def client():
    async with client_for(UpstreamApp(seed=7, max_delay=0.05, wall=lambda: WALL)) as client:
        yield client


async def statuses(client, url, n):
    return [(await client.get(url)).status_code for _ in range(n)]


def assert_bad_request(response):
    assert response.status_code == 400
    message = response.json()["error"]
    assert message
    assert "\n" not in message


async def test_get_echoes_args_headers_and_url(client):
    """GET /get shows the query (repeats as lists), title-cased headers and the full URL."""
    response = await client.get("/get?a=1&a=2&a=3&b=", headers={"x-demo-id": "42"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["args"] == {"a": ["1", "2", "3"], "b": ""}
    assert body["headers"]["X-Demo-Id"] == "42"
    assert body["headers"]["Host"] == "upstream"
    assert body["url"] == "http://upstream/get?a=1&a=2&a=3&b="


@pytest.mark.parametrize("path", ["/get", "/health"])
async def test_get_only_routes_refuse_other_methods(client, path):
    """POST to /get or /health is a 405 naming the allowed methods, as httpbin answers."""
    response = await client.post(path)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


async def test_health_is_ok(client):
    """GET /health answers 200 {"status": "ok", "upstream": "resilience-cli"}."""
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "upstream": "resilience-cli"}


async def test_anything_echoes_a_json_body(client):
    """/anything echoes method, args and a JSON body as httpbin's `data` and `json`."""
    response = await client.put("/anything?q=1", json={"n": 1})
    body = response.json()
    assert response.status_code == 200
    assert body["method"] == "PUT"
    assert body["args"] == {"q": "1"}
    assert body["data"] == '{"n":1}'
    assert body["json"] == {"n": 1}
    assert body["form"] == {}


async def test_anything_with_a_path_echoes_a_form_body(client):
    """/anything/{path} echoes a form body as `form`, with `data` left empty."""
    response = await client.post("/anything/a/b", data={"k": ["v", "w"]})
    body = response.json()
    assert body["url"] == "http://upstream/anything/a/b"
    assert body["form"] == {"k": ["v", "w"]}
    assert body["data"] == ""
    assert body["json"] is None


async def test_anything_with_json_nested_too_deep_echoes_it_as_data(client):
    """A JSON body nested past Python's recursion limit is echoed as `data`, json null."""
    nested = "[" * 100_000
    body = (await client.post("/anything", content=nested)).json()
    assert body["data"] == nested
    assert body["json"] is None


async def test_anything_echoes_binary_as_a_data_url(client):
    """A body that is not UTF-8 comes back base64-encoded, as httpbin shows it."""
    payload = bytes(range(250, 256))
    body = (await client.post("/anything", content=payload)).json()
    expected = "data:application/octet-stream;base64," + base64.b64encode(payload).decode()
    assert body["data"] == expected
    assert body["json"] is None


async def test_anything_reads_a_body_sent_in_parts():
    """The body is read with the ASGI `more_body` protocol, every part kept in order."""
    parts = [
        {"type": "http.request", "body": b'{"a": ', "more_body": True},
        {"type": "http.request", "body": b"", "more_body": True},
        {"type": "http.request", "body": b"[1, 2]}", "more_body": False},
    ]
    sent = []

    async def receive():
        return parts.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/anything", "headers": []}
    await UpstreamApp()(scope, receive, send)
    assert sent[0]["status"] == 200
    assert b'"json": {"a": [1, 2]}' in sent[1]["body"]


async def test_anything_sends_nothing_once_the_client_is_gone():
    """A disconnect while the body is read ends the request without a response."""
    sent = []

    async def receive():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/anything", "headers": []}
    await UpstreamApp()(scope, receive, send)
    assert sent == []


async def test_delay_waits_then_echoes(client):
    """/delay/{seconds} takes fractions, waits that long, then echoes the request."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    response = await client.post("/delay/0.02?x=1", content=b"hi")
    assert loop.time() - started >= 0.02
    body = response.json()
    assert response.status_code == 200
    assert body["args"] == {"x": "1"}
    assert body["data"] == "hi"


@pytest.mark.parametrize(("path", "waited"), [("/delay/60", 10.0), ("/delay/2.5", 2.5)])
def test_delay_sleeps_on_the_loop_and_is_capped_like_httpbin(path, waited):
    """The wait is an asyncio sleep (virtual time passes, no real time) capped at 10 s."""
    loop = event_loop_for(VirtualClock())

    async def call():
        async with client_for(UpstreamApp()) as client:
            started = loop.time()
            response = await client.get(path)
            return response.status_code, loop.time() - started

    try:
        assert loop.run_until_complete(call()) == (200, waited)
    finally:
        loop.close()


async def test_delay_honours_a_smaller_cap(client):
    """A `max_delay` below the asked delay bounds the wait."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    response = await client.get("/delay/30")
    assert response.status_code == 200
    assert loop.time() - started < 5


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "-1",
        "nan",
        "inf",
        "1e400",
        "%20",
        "%D9%A3",  # Arabic-Indic 3: float() takes it, a URL should not
        "1_0",
        "%201",
        "+1",
        "9" * 5000,
    ],
)
async def test_delay_rejects_bad_values(client, value):
    """/delay/{seconds} with anything but plain ASCII finite seconds >= 0 is a 400."""
    assert_bad_request(await client.get(f"/delay/{value}"))


@pytest.mark.parametrize("code", [200, 429, 500, 503])
async def test_status_answers_the_code_with_an_empty_body(client, code):
    """/status/{code} answers exactly that code, with no body."""
    response = await client.get(f"/status/{code}")
    assert response.status_code == code
    assert response.content == b""
    assert "retry-after" not in response.headers


async def test_status_204_sends_no_length_headers(client):
    """A 204 carries no Content-Length (RFC 9110) and no body."""
    response = await client.get("/status/204")
    assert response.status_code == 204
    assert "content-length" not in response.headers


async def test_status_weighted_choice_is_seeded():
    """The same seed draws the same weighted sequence, 70/30 in proportion."""
    url = "/status/200:0.7,500:0.3"
    async with client_for(UpstreamApp(seed=42)) as first, client_for(UpstreamApp(seed=42)) as again:
        drawn = await statuses(first, url, 1000)
        assert await statuses(again, url, 1000) == drawn
    assert Counter(drawn) == {200: 692, 500: 308}  # pinned: a seed is a contract


async def test_status_list_without_weights_is_even():
    """`/status/200,500,503` weighs each code equally."""
    async with client_for(UpstreamApp(seed=3)) as client:
        counts = Counter(await statuses(client, "/status/200,500,503", 900))
    assert set(counts) == {200, 500, 503}
    assert all(250 <= n <= 350 for n in counts.values())


async def test_status_different_seeds_draw_differently():
    """Another seed gives another sequence: the seed really drives the choice."""
    url = "/status/200,500"
    async with client_for(UpstreamApp(seed=1)) as one, client_for(UpstreamApp(seed=2)) as two:
        assert await statuses(one, url, 50) != await statuses(two, url, 50)


@pytest.mark.parametrize(
    "codes",
    [
        "xyz",
        "99",
        "600",
        "200:x",
        "200:-1",
        "200:0,500:0",
        "200:nan",
        "200,,500",
        "%D9%A5%D9%A0%D9%A0",  # 500 in Arabic-Indic digits
        "+500",
        "5_00",
        "200:%D9%A1",
        "200:1e308,500:1e308",  # each finite, the total not: random.choices raised
        "9" * 5000,
    ],
)
async def test_status_rejects_bad_codes(client, codes):
    """Codes outside 200-599, bad weights, or weights not summing to a finite > 0 are a 400."""
    assert_bad_request(await client.get(f"/status/{codes}"))


@pytest.mark.parametrize(("rate", "expected"), [("0", {200}), ("1", {500}), ("1.0", {500})])
async def test_unstable_failure_rate_bounds(client, rate, expected):
    """failure_rate=0 never fails and failure_rate=1 always does."""
    assert set(await statuses(client, f"/unstable?failure_rate={rate}", 50)) == expected


async def test_unstable_defaults_to_half():
    """Without failure_rate, about half the calls fail with 500."""
    async with client_for(UpstreamApp(seed=11)) as client:
        counts = Counter(await statuses(client, "/unstable", 1000))
    assert set(counts) == {200, 500}
    assert 430 <= counts[500] <= 570


async def test_unstable_keeps_only_the_most_recent_seeds():
    """However many seeds clients send, the app keeps SEEDS_KEPT sequences, not one per seed."""
    app = UpstreamApp()
    async with client_for(app) as client:
        for seed in range(3 * SEEDS_KEPT):
            await client.get(f"/unstable?seed={seed}")
    assert len(app._seeded) == SEEDS_KEPT


async def test_unstable_seed_survives_other_seeds_until_pushed_out():
    """A seed in use keeps its place in line; one pushed out by SEEDS_KEPT others starts over."""
    url = "/unstable?seed=9"
    async with client_for(UpstreamApp()) as fresh:
        expected = await statuses(fresh, url, 6)
    async with client_for(UpstreamApp()) as client:
        first = await statuses(client, url, 3)
        for other in range(SEEDS_KEPT - 1):  # room is left: seed 9 is still kept
            await client.get(f"/unstable?seed={1000 + other}")
        rest = await statuses(client, url, 3)
        for other in range(SEEDS_KEPT):  # now it is pushed out, and starts again
            await client.get(f"/unstable?seed={2000 + other}")
        again = await statuses(client, url, 3)
    assert first + rest == expected
    assert again == expected[:3]


async def test_unstable_seed_gives_a_repeatable_sequence():
    """A `seed` replays the same sequence, whatever else the app was asked before."""
    url = "/unstable?failure_rate=0.5&seed=9"
    async with client_for(UpstreamApp(seed=1)) as first, client_for(UpstreamApp(seed=2)) as again:
        expected = await statuses(first, url, 40)
        await statuses(again, "/unstable", 7)  # the app's own rng must not matter
        await statuses(again, "/status/200,500", 3)
        assert await statuses(again, url, 40) == expected
    assert set(expected) == {200, 500}


@pytest.mark.parametrize(
    "query",
    [
        "failure_rate=2",
        "failure_rate=-0.1",
        "failure_rate=abc",
        "failure_rate=%D9%A0.5",
        "failure_rate=0_5",
        "failure_rate=nan",
        "seed=x",
        "seed=1.5",
        "seed=%D9%A3",
        "seed=1_0",
        "seed=9223372036854775808",  # one past int64
        "seed=" + "9" * 5000,
    ],
)
async def test_unstable_rejects_bad_parameters(client, query):
    """A failure_rate outside [0, 1] or a seed that is not a 64-bit integer is a 400."""
    assert_bad_request(await client.get(f"/unstable?{query}"))


@pytest.mark.parametrize(
    ("query", "status"), [("", 429), ("?status=429", 429), ("?status=503", 503)]
)
async def test_retry_after_in_seconds(client, query, status):
    """/retry-after/{s} answers 429 (or 503) with Retry-After in delay-seconds."""
    response = await client.get(f"/retry-after/3{query}")
    assert response.status_code == status
    assert response.headers["retry-after"] == "3"
    assert response.json() == {"status": status, "retry_after": "3"}


async def test_retry_after_takes_up_to_a_day(client):
    """A day is the longest Retry-After, in seconds or as an HTTP-date."""
    assert (await client.get("/retry-after/86400")).headers["retry-after"] == "86400"
    dated = await client.get("/retry-after/86400?date=1")
    assert parsedate_to_datetime(dated.headers["retry-after"]).timestamp() == math.ceil(
        WALL + 86400
    )


async def test_retry_after_as_an_http_date(client):
    """date=1 gives an HTTP-date from the app's wall clock, rounded up, never early."""
    response = await client.get("/retry-after/5?date=1&status=503")
    assert response.status_code == 503
    header = response.headers["retry-after"]
    assert header.endswith(" GMT")
    when = parsedate_to_datetime(header).timestamp()
    assert when == math.ceil(WALL + 5)
    assert when >= WALL + 5


@pytest.mark.parametrize(
    "path",
    [
        "1.5",
        "-1",
        "abc",
        "3?status=500",
        "3?date=2",
        "٣",
        "86401",
        "99999999999999999999?date=1",  # past time_t: the HTTP-date overflowed (500)
        "9" * 5000,  # past Python's 4,300-digit int limit (500)
    ],
)
async def test_retry_after_rejects_bad_parameters(client, path):
    """Seconds that are not whole, 0 to a day, another status or a bad date flag are a 400."""
    assert_bad_request(await client.get(f"/retry-after/{path}"))


@pytest.mark.parametrize(
    "path", ["/", "/nope", "/get/extra", "/status/", "/delay", "/retry-after", "/health/x"]
)
async def test_unknown_paths_are_404(client, path):
    """A path the app does not serve is a 404 with a JSON error naming it."""
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": f"not found: {path}"}


async def test_lifespan_startup_and_shutdown_complete():
    """The lifespan scope acknowledges startup and shutdown, then returns."""
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = []

    async def receive():
        return inbox.pop(0)

    async def send(message):
        sent.append(message["type"])

    await UpstreamApp()({"type": "lifespan"}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_unsupported_scope_types_are_refused():
    """A websocket scope raises, as ASGI asks of apps that do not speak a protocol."""

    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        raise AssertionError(message)

    with pytest.raises(ValueError, match="websocket"):
        await UpstreamApp()({"type": "websocket"}, receive, send)


@pytest.mark.parametrize("max_delay", [-1.0, math.nan, math.inf])
def test_max_delay_must_be_finite_and_non_negative(max_delay):
    """A nonsense cap is refused when the app is built, naming the field."""
    with pytest.raises(ConfigError, match=r"upstream\.max_delay"):
        UpstreamApp(max_delay=max_delay)


@pytest.mark.parametrize(
    ("code", "header", "value"),
    [
        (301, "location", "/redirect/1"),
        (307, "location", "/redirect/1"),
        (401, "www-authenticate", 'Basic realm="Fake Realm"'),
        (407, "proxy-authenticate", 'Basic realm="Fake Realm"'),
        (418, "x-more-info", "http://tools.ietf.org/html/rfc2324"),
    ],
)
async def test_status_answers_as_httpbin_does_for_its_special_codes(client, code, header, value):
    """A redirect points at /redirect/1, 401 and 407 challenge, 418 is a teapot: as httpbin."""
    response = await client.get(f"/status/{code}")
    assert response.status_code == code
    assert response.headers[header] == value
    assert ("teapot" in response.text) is (code == 418)


async def test_every_answer_carries_httpbins_cors_headers(client):
    """Access-Control-Allow-Origin echoes the Origin (else `*`), with credentials allowed."""
    plain = await client.get("/get")
    origin = await client.get("/status/404", headers={"Origin": "https://class.example"})
    assert plain.headers["access-control-allow-origin"] == "*"
    assert origin.headers["access-control-allow-origin"] == "https://class.example"
    assert origin.headers["access-control-allow-credentials"] == "true"
