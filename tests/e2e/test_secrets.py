"""A password or token typed into a URL never reaches an output, a file or a message."""

import json

import pytest
from redis_server import RedisServer

PASSWORD = "hunter2"  # noqa: S105 - the secret the test hunts for
TOKEN = "tok3n"  # noqa: S105


def test_no_output_format_shows_a_urls_password_or_token(installed, loopback_upstream, tmp_path):
    """Every output, message and file hides the secret and shows `user:***@` instead."""
    # Rich, --json, JUnit, the job summary, svg/html/txt exports (slides and single pages),
    # `upstream check`, errors, `logs`, and every file the commands wrote.
    host = loopback_upstream.removeprefix("http://")
    url = f"http://teacher:{PASSWORD}@{host}/?token={TOKEN}"
    (tmp_path / "remote.yaml").write_text(
        f"version: 1\ntitle: remote\ntarget: '{url}'\nsteps:\n"
        "  - name: calls\n    invoke: {count: 3, mix: '/get:1'}\n"
        "    expect: {calls: count == 3}\n"
    )
    summary = {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    runs = [
        installed.run("invoke", "-n", "3", "--mix", "/get:1", "--base-url", url),
        installed.run("invoke", "-n", "3", "--mix", "/get:1", "--base-url", url, "--json"),
        installed.run(
            "run", "remote.yaml", "--junit", "junit.xml", "--export", "slides.svg", env=summary
        ),
        installed.run("run", "remote.yaml", "--export", "slides.html"),
        installed.run("run", "remote.yaml", "--export", "page.svg", "--export-mode", "single"),
        installed.run("run", "remote.yaml", "--base-url", url, "--export", "slides.txt", "--json"),
        installed.run("upstream", "check", "--base-url", url),
        installed.run("upstream", "check", "--base-url", url, "--json"),
        installed.run("upstream", "check", "--base-url", f"http://teacher:{PASSWORD}@127.0.0.1:1"),
        installed.run("invoke", "--base-url", f"ftp://teacher:{PASSWORD}@x/?api_key={TOKEN}"),
        installed.run("invoke", "--base-url", f"http://teacher:{PASSWORD}@x:port"),
        installed.run("logs", "-n", "200"),
        installed.run("logs", "-n", "200", "--raw"),
        installed.run("state", "--json"),
    ]
    seen = ""
    for result in runs:
        text = (result.stdout + result.stderr).decode("utf-8")
        assert "internal error" not in text, text
        seen += text
    files = [path for path in tmp_path.rglob("*") if path.is_file() and path.name != "remote.yaml"]
    assert {path.name for path in files} >= {
        "junit.xml",
        "summary.md",
        "slides-01.svg",
        "page.svg",
        "slides.html",
        "slides.txt",
        "app.log",
    }
    for path in files:
        content = path.read_bytes().decode("utf-8")
        assert PASSWORD not in content, path
        assert TOKEN not in content, path
        seen += content
    assert PASSWORD not in seen
    assert TOKEN not in seen
    # The URLs are there, redacted: the test would see a leak.
    assert seen.count("teacher:***@") >= 15
    assert "token=***" in seen
    assert "api_key=***" in seen
    assert json.loads(runs[1].stdout)["target"] == f"http://teacher:***@{host}/?token=***"


ENV_SECRET = "env-s3cret-value"  # noqa: S105


def test_no_output_format_shows_a_value_from_the_environment(
    installed, loopback_upstream, tmp_path
):
    """A header, query or body value from `${VAR}` never reaches an output, a file or a message."""
    (tmp_path / "api.yaml").write_text(
        "version: 1\ntitle: api\nrequests:\n"
        "  - name: create\n    method: POST\n    path: /anything\n"
        "    headers: {Authorization: 'Bearer ${API_TOKEN}', X-Api-Key: '${API_TOKEN}'}\n"
        "    query: {key: '${API_TOKEN}'}\n"
        "    json: {token: '${API_TOKEN}'}\n"
        "  - name: broken\n    path: /status/503\n"
        "    headers: {Cookie: 'id=${API_TOKEN}'}\n"
        "steps:\n"
        "  - name: calls\n    invoke: {count: 4, requests: [create, broken]}\n"
        "    expect: {calls: count == 4}\n"
    )
    env = {"API_TOKEN": ENV_SECRET, "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    header = ["-H", "Authorization: Bearer ${API_TOKEN}", "--param", "sig=${API_TOKEN}"]
    runs = [
        installed.run("invoke", "-n", "3", "--mix", "/anything:1", *header, env=env),
        installed.run(
            "invoke", "-n", "3", "--mix", "/status/500:1", *header, "--json", env=env
        ),
        installed.run(
            "invoke", "-n", "3", "--base-url", "http://127.0.0.1:1", *header, "--json", env=env
        ),
        installed.run(
            "run", "api.yaml", "--base-url", loopback_upstream, "--junit", "junit.xml",
            "--export", "slides.svg", "--json", env=env,
        ),
        installed.run("run", "api.yaml", "--export", "page.html", env=env),
        installed.run("logs", "-n", "500"),
        installed.run("logs", "-n", "500", "--raw"),
        installed.run("state", "--json"),
    ]  # fmt: skip
    seen = ""
    for result in runs:
        text = (result.stdout + result.stderr).decode("utf-8")
        assert "internal error" not in text, text
        seen += text
    files = [path for path in tmp_path.rglob("*") if path.is_file() and path.name != "api.yaml"]
    assert {path.name for path in files} >= {"junit.xml", "summary.md", "page.html", "app.log"}
    for path in files:
        content = path.read_bytes().decode("utf-8")
        assert ENV_SECRET not in content, path
        seen += content
    assert ENV_SECRET not in seen
    assert '"Authorization": "***"' in seen  # the log describes the request, masked
    assert '"Cookie": "***"' in seen


LITERAL = "literal-s3cret"


def test_an_auth_header_written_out_is_masked_too(installed, tmp_path):
    """A credential typed as a header's value, not from `${VAR}`, is masked as one from it is."""
    (tmp_path / "api.yaml").write_text(
        "version: 1\ntitle: api\nrequests:\n"
        "  - name: create\n    method: POST\n    path: /anything\n"
        f"    headers: {{Authorization: 'Bearer {LITERAL}', X-Api-Key: '{LITERAL}-key',"
        f" Proxy-Authorization: 'Basic {LITERAL}-proxy'}}\n"
        "steps:\n"
        "  - name: calls\n    invoke: {count: 4, requests: [create]}\n"
        "    expect: {calls: count == 4}\n"
    )
    header = ["-H", f"Authorization: Bearer {LITERAL}", "-H", f"X-Api-Key: {LITERAL}-key"]
    runs = [
        installed.run("invoke", "-n", "3", "--mix", "/anything:1", *header, "--json",
                      "--virtual-time"),
        installed.run("invoke", "-n", "2", "--base-url", "http://127.0.0.1:1", *header),
        installed.run("run", "api.yaml", "--junit", "junit.xml", "--export", "slides.svg",
                      "--json", "--virtual-time",
                      env={"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}),
        installed.run("logs", "-n", "500", "--raw"),
        installed.run("state", "--json"),
    ]  # fmt: skip
    seen = "".join((result.stdout + result.stderr).decode("utf-8") for result in runs)
    files = [path for path in tmp_path.rglob("*") if path.is_file() and path.name != "api.yaml"]
    assert {path.name for path in files} >= {"junit.xml", "summary.md", "app.log"}
    seen += "".join(path.read_text(encoding="utf-8") for path in files)
    assert LITERAL not in seen
    assert '"Authorization": "***"' in seen
    assert '"X-Api-Key": "***"' in seen


@pytest.mark.linux_service("redis-server")
def test_a_redis_password_never_reaches_an_output_a_log_or_a_file(installed, tmp_path_factory):
    """`--state redis://:password@...`: every output, message and file shows `:***@` instead."""
    server = RedisServer(tmp_path_factory.mktemp("redis"), password=PASSWORD)
    server.start()
    try:
        url = server.url
        wrong = url.replace(PASSWORD, f"not-{PASSWORD}")
        down = f"redis://:{PASSWORD}@127.0.0.1:1/0"
        (installed.cwd / "shared.yaml").write_text(
            "version: 1\ntitle: shared\nsteps:\n"
            "  - error: {count: 20}\n    expect: {breaker.state: open}\n"
            "  - state: {}\n  - reset: {}\n"
        )
        summary = {"GITHUB_STEP_SUMMARY": str(installed.cwd / "summary.md")}
        runs = [
            installed.run("error", "-n", "20", "--state", url),
            installed.run("error", "-n", "5", "--state", url, "--json"),
            installed.run("state", "--state", url),
            installed.run("state", "--state", url, "--json"),
            installed.run("force-open", "--state", url, "--json"),
            installed.run("reset", "--state", url),
            installed.run(
                "run", "shared.yaml", "--state", url, "--junit", "junit.xml",
                "--export", "slides.txt", env=summary,
            ),
            installed.run("run", "shared.yaml", "--state", url, "--json"),
            installed.run("state", "--state", wrong),
            installed.run("invoke", "-n", "2", "--state", wrong),
            installed.run("state", "--state", down),
            installed.run("invoke", "-n", "2", "--state", down, "--json"),
            installed.run("invoke", "--state", f"redis://:{PASSWORD}@127.0.0.1:port/0"),
            installed.run("logs", "-n", "500", "--raw"),
        ]  # fmt: skip
    finally:
        server.stop()
    seen = ""
    for result in runs:
        text = (result.stdout + result.stderr).decode("utf-8")
        assert "internal error" not in text, text
        assert "Traceback" not in text, text
        seen += text
    files = [path for path in installed.cwd.rglob("*") if path.is_file()]
    assert {path.name for path in files} >= {"junit.xml", "summary.md", "slides.txt", "app.log"}
    for path in files:
        content = path.read_bytes().decode("utf-8")
        assert PASSWORD not in content, path
        seen += content
    assert PASSWORD not in seen
    # The URLs are there, redacted: the test would see a leak.
    assert seen.count(":***@127.0.0.1") >= 8
    assert json.loads(runs[3].stdout)["state_file"] == url.replace(PASSWORD, "***")
    assert runs[8].returncode == 3  # a wrong password: the store is unavailable, said once
