import http.server
import json
import signal
import socket
import threading
from pathlib import Path

import httpx
import pytest
from platforms import NO_PTHREAD_KILL
from typer.testing import CliRunner

from resilience_cli.cli import app, logs, output
from resilience_cli.errors import ResilienceError

runner = CliRunner()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Run in a fresh folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_format_line_shows_time_event_command_and_fields():
    """A JSON log line becomes `time  event  command  key=value`."""
    line = json.dumps(
        {
            "timestamp": "2026-01-01T00:00:01.250000+00:00",
            "level": "warning",
            "event": "breaker.opened",
            "run_id": "abc",
            "command": "error",
            "reason": "5 consecutive failures",
        }
    )
    text = logs.format_line(line).plain
    assert text.startswith("2026-01-01T00:00:01.250+00:00")
    assert "breaker.opened" in text
    assert "error" in text
    assert "reason=5 consecutive failures" in text
    assert "run_id" not in text


@pytest.mark.parametrize("line", ["not json at all\n", "[1, 2]\n"])
def test_format_line_shows_other_lines_as_they_are(line):
    """A line that is not a JSON object is shown unchanged."""
    assert logs.format_line(line).plain == line.strip()


def test_follow_prints_lines_as_they_are_appended(in_tmp, monkeypatch):
    """`logs --follow` prints new lines as they arrive, until Ctrl-C (exit 130)."""
    log = in_tmp / "app.log"
    log.write_text(json.dumps({"event": "run.started"}) + "\n")
    polls = iter([1, 2, 3])

    def sleep(_seconds: float) -> None:
        step = next(polls, None)
        if step == 1:
            with log.open("a") as file:
                file.write(json.dumps({"event": "breaker.opened"}) + "\n")
        elif step == 2:
            log.write_text("")  # rotated: start again from the top
        elif step is None:
            raise KeyboardInterrupt

    monkeypatch.setattr(logs.time, "sleep", sleep)
    result = runner.invoke(app, ["logs", "--follow", "--raw", "--log-file", str(log)])
    assert result.exit_code == 130
    assert [json.loads(line)["event"] for line in result.stdout.splitlines()] == [
        "run.started",
        "breaker.opened",
    ]


def test_an_unreadable_log_is_a_usage_error(in_tmp):
    """A log path that is a folder gives one line and exit 2."""
    (in_tmp / "dir.log").mkdir()
    result = runner.invoke(app, ["logs", "--log-file", "dir.log"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot read dir.log")


def test_an_internal_error_is_one_line_and_exit_3(monkeypatch):
    """An unexpected exception is reported in one line with exit code 3."""

    def boom(*_args: object, **_values: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr("resilience_cli.cli.breaker._report", boom)
    result = runner.invoke(app, ["force-open"])
    assert result.exit_code == 3
    assert result.stderr == "error: internal error: RuntimeError: kaput\n"


def test_resilience_debug_shows_the_traceback(monkeypatch):
    """With RESILIENCE_DEBUG set, an internal error propagates for a bug report."""

    def boom(*_args: object, **_values: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr("resilience_cli.cli.breaker._report", boom)
    monkeypatch.setenv("RESILIENCE_DEBUG", "1")
    result = runner.invoke(app, ["force-open"])
    assert isinstance(result.exception, RuntimeError)


def test_a_resilience_error_carries_its_exit_code(monkeypatch):
    """A ResilienceError escaping a command maps to its own exit code."""

    def fail(*_args: object, **_values: object) -> None:
        raise ResilienceError("the disk is on fire")

    monkeypatch.setattr("resilience_cli.cli.breaker._report", fail)
    result = runner.invoke(app, ["reset"])
    assert result.exit_code == 3
    assert result.stderr == "error: the disk is on fire\n"


def test_no_arguments_prints_help_and_exits_2():
    """Plain `resilience` shows the help (exit 2, like any missing command)."""
    result = runner.invoke(app, [])
    assert result.exit_code == 2
    assert "Usage" in result.stdout


@NO_PTHREAD_KILL
def test_upstream_serve_serves_until_interrupted(monkeypatch):
    """`upstream serve` reports its URL, answers /health, and stops on Ctrl-C with 130."""
    notes: list[str] = []
    listening = threading.Event()

    def note(text: str) -> None:
        notes.append(text)
        listening.set()

    monkeypatch.setattr(output, "note", note)
    probed: list[object] = []
    main_thread = threading.main_thread().ident
    assert main_thread is not None

    def probe_then_interrupt() -> None:
        try:
            # Ctrl-C only once the server listens: one sent before would be handled
            # before the server starts, and then nothing would stop it.
            if listening.wait(timeout=60):
                url = notes[0].split()[-4]
                probed.append(httpx.get(f"{url}/health", timeout=5).json())
        except Exception as exc:  # noqa: BLE001 - reported by the main thread below
            probed.append(exc)
        finally:
            # At the main thread, as a terminal's Ctrl-C lands: `raise_signal` would
            # interrupt this thread only, and the main one, asleep in the event loop's
            # select() with no timer due, would not run the handler until woken.
            signal.pthread_kill(main_thread, signal.SIGINT)

    thread = threading.Thread(target=probe_then_interrupt)
    thread.start()
    try:
        result = runner.invoke(app, ["upstream", "serve", "--port", "0"])
    finally:
        thread.join(timeout=60)
    assert probed == [{"status": "ok", "upstream": "resilience-cli"}]
    assert result.exit_code == 130
    assert notes[0].startswith("serving the embedded upstream on http://127.0.0.1:")
    assert notes[-1] == "stopped"


def test_upstream_serve_on_a_taken_port_is_a_usage_error():
    """A port that is already in use gives one line and exit 2."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["upstream", "serve", "--port", str(port)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")


def test_reset_works_even_when_the_log_cannot_be_opened(in_tmp):
    """`reset`, the way out of a bad state file, is not blocked by an unusable log."""
    (in_tmp / "logs").write_text("a file where the log folder should be")
    state = in_tmp / ".resilience" / "breaker.json"
    state.parent.mkdir()
    state.write_text("{broken")
    result = runner.invoke(app, ["reset"])
    assert result.exit_code == 0
    assert f"not logging: --log-file {Path('logs/app.log')}" in result.stderr
    assert json.loads(state.read_text())["breaker"]["state"] == "closed"


def test_format_line_shows_a_deeply_nested_line_as_it_is():
    """A log line nested too deeply to parse is shown raw, not a crash."""
    line = "[" * 100_000 + "\n"
    assert logs.format_line(line).plain == line.strip()


@pytest.fixture
def refusing_port():
    """A loopback port bound but not listening: every connection to it is refused."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


@pytest.fixture
def server_without_health():
    """A loopback HTTP server that answers 404 to everything, /health included."""

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(404)

        def log_message(self, *_args: object) -> None:
            pass  # keep the test output clean

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


@pytest.mark.real_time
def test_upstream_check_names_the_url_that_answered_404(server_without_health):
    """Against a server without /health, the line names the whole URL that was asked."""
    result = runner.invoke(app, ["upstream", "check", "--base-url", server_without_health])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"FAILED: GET {server_without_health}/health answered 404 in")
    document = json.loads(
        runner.invoke(
            app, ["upstream", "check", "--base-url", server_without_health, "--json"]
        ).stdout
    )
    assert document["checked"] == f"{server_without_health}/health"


@pytest.mark.real_time
def test_upstream_check_says_when_nothing_listens(refusing_port):
    """A refused connection is named as one, with the URL and the likely cause."""
    url = f"http://127.0.0.1:{refusing_port}"
    result = runner.invoke(app, ["upstream", "check", "--base-url", url])
    assert result.exit_code == 1
    assert " ".join(result.stdout.split()) == (
        f"FAILED: connection refused at {url}/health: is the server running?"
    )


@pytest.mark.real_time
def test_a_call_command_says_once_that_nothing_listens(refusing_port):
    """Calls to a URL where nothing listens: every call falls back, and one line says why."""
    url = f"http://127.0.0.1:{refusing_port}"
    args = ["invoke", "-n", "2", "--mix", "/get:1", "--base-url", url, "--attempts", "2"]
    result = runner.invoke(app, [*args, "--rate", "0", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["fallbacks"] == {"connect_error": 2}  # 4 refusals
    said = f"connection refused at {url}: is the server running?"
    assert result.stderr.splitlines().count(said) == 1
