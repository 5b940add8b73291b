"""The embedded upstream answers as the real httpbin does, endpoint by endpoint.

Both are served on loopback sockets and asked the same requests: the statuses, the JSON
shapes (keys and the values that echo the request), and the headers a user looks at
must agree. What differs on purpose is listed in the README (httpbin compatibility).
"""

import httpx
import pytest

from resilience_cli.upstream import UpstreamApp, UpstreamServer

pytestmark = pytest.mark.real_time


class Form(dict[str, str]):
    """A body sent form-encoded (a plain dict is sent as JSON)."""


# (method, path, body: a dict sent as JSON, a Form, bytes sent as text/plain, or None)
CASES: list[tuple[str, str, dict[str, object] | Form | bytes | None]] = [
    ("GET", "/get", None),
    ("GET", "/get?a=1&a=2&b=x", None),
    ("HEAD", "/get", None),
    ("POST", "/get", None),
    ("GET", "/anything", None),
    ("POST", "/anything/orders?src=test", {"item": "book", "n": [1, 2]}),
    ("PUT", "/anything", {"x": None}),
    ("POST", "/anything", Form(a="1", b="x y")),
    ("POST", "/anything?x=%20y&x=z", b"plain words"),
    ("POST", "/delay/0", Form(a="1")),
    ("PATCH", "/anything/a/b", None),
    ("DELETE", "/anything", None),
    ("GET", "/delay/0", None),
    ("POST", "/delay/0.1?x=1", {"k": "v"}),
    ("GET", "/status/200", None),
    ("POST", "/status/201", None),
    ("GET", "/status/204", None),
    ("GET", "/status/301", None),
    ("GET", "/status/302", None),
    ("GET", "/status/303", None),
    ("GET", "/status/304", None),
    ("GET", "/status/307", None),
    ("GET", "/status/401", None),
    ("GET", "/status/402", None),
    ("GET", "/status/404", None),
    ("GET", "/status/406", None),
    ("GET", "/status/418", None),
    ("GET", "/status/429", None),
    ("GET", "/status/500", None),
    ("PUT", "/status/503", None),
    ("GET", "/status/200:1,500:0", None),
    ("GET", "/status/abc", None),
    ("GET", "/not-an-endpoint", None),
]
USER_HEADERS = ("x-more-info", "location", "www-authenticate", "retry-after")
# Bodies that echo the request: these keys must hold the same values.
ECHOED = ("args", "method", "data", "form", "files", "json")


def request_arguments(body: dict[str, object] | Form | bytes | None) -> dict[str, object]:
    """What httpx needs to send the body as the case says, headers included."""
    headers = {"X-Class": "demo", "Origin": "https://class.example"}
    if isinstance(body, Form):
        return {"data": dict(body), "headers": headers}
    if isinstance(body, bytes):
        return {"content": body, "headers": headers | {"Content-Type": "text/plain"}}
    return {"json": body, "headers": headers}


@pytest.fixture
async def ours():
    async with UpstreamServer(UpstreamApp(0)) as server:
        yield server.base_url


def media_type(response: httpx.Response) -> str | None:
    value = response.headers.get("content-type")
    return None if value is None else value.split(";")[0].strip()


def is_json(response: httpx.Response) -> bool:
    return media_type(response) == "application/json"


@pytest.mark.parametrize(("method", "path", "body"), CASES)
async def test_the_embedded_upstream_answers_as_httpbin(httpbin_url, ours, method, path, body):
    """Same status, same headers a user reads, same JSON keys and echoed values."""
    arguments = request_arguments(body)
    async with httpx.AsyncClient() as client:
        reference = await client.request(method, httpbin_url + path, **arguments)
        answer = await client.request(method, ours + path, **arguments)
    assert answer.status_code == reference.status_code
    for name in (*USER_HEADERS, "access-control-allow-origin", "access-control-allow-credentials"):
        assert answer.headers.get(name) == reference.headers.get(name), name
    if reference.status_code in {400, 404, 405}:
        return  # error bodies differ on purpose: ours are one line of JSON
    if reference.status_code != 204:
        assert media_type(answer) == media_type(reference)
    if reference.status_code == 402:
        return  # its x-more-info header is the same; the words of its body are httpbin's own
    if not is_json(reference) or method == "HEAD":
        assert answer.content == reference.content
        return
    expected, got = reference.json(), answer.json()
    assert set(got) == set(expected)
    for key in ECHOED:
        if key in expected:
            assert got[key] == expected[key], key
    if "headers" in expected:
        assert got["headers"]["X-Class"] == expected["headers"]["X-Class"]
        assert got["headers"]["Content-Type" if body else "X-Class"]
    if "url" in expected:
        assert got["url"].split("/", 3)[3] == expected["url"].split("/", 3)[3]


async def test_both_refuse_a_method_an_endpoint_does_not_take(httpbin_url, ours):
    """POST /get is a 405 with an Allow header on both (its list is worded differently)."""
    async with httpx.AsyncClient() as client:
        reference = await client.post(httpbin_url + "/get")
        answer = await client.post(ours + "/get")
    assert answer.status_code == reference.status_code == 405
    assert set(answer.headers["allow"].split(", ")) <= set(reference.headers["allow"].split(", "))


async def test_407_is_the_documented_difference(httpbin_url, ours):
    """Ours sends 407's Proxy-Authenticate; httpbin's, a hop-by-hop header, is a 500 under WSGI."""
    async with httpx.AsyncClient() as client:
        reference = await client.get(httpbin_url + "/status/407")
        answer = await client.get(ours + "/status/407")
    assert reference.status_code == 500
    assert answer.status_code == 407
    assert answer.headers["proxy-authenticate"] == 'Basic realm="Fake Realm"'
