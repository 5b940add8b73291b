"""The installed command with `--state redis://...`: one breaker shared by separate commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from command_path import RESILIENCE
from platforms import NO_SIGNALS_TO_A_CHILD

pytestmark = pytest.mark.linux_service("redis-server")


def document(result) -> dict:
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def test_separate_commands_share_one_named_breaker_on_redis(installed, redis_server):
    """`error` opens it; `state` and `invoke`, other processes, see it open; `reset` closes it."""
    shared = ("--state", redis_server.url, "--breaker", "api")
    opened = document(installed.run("error", "-n", "20", *shared, "--json"))
    assert opened["breaker"]["after"]["state"] == "open"
    assert [t["to"] for t in opened["breaker"]["transitions"]] == ["open"]
    seen = document(installed.run("state", *shared, "--json"))
    assert seen["state"] == "open"
    assert seen["state_file"] == redis_server.url
    assert 25 < seen["open_remaining_s"] <= 30
    refused = document(installed.run("invoke", "-n", "5", *shared, "--json"))
    assert refused["fallbacks"] == {"breaker_open": 5}
    other = document(installed.run("state", "--state", redis_server.url, "--json"))
    assert other["state"] == "closed"  # `default` is another breaker
    forced = document(installed.run("force-open", *shared, "--reason", "deploy", "--json"))
    assert forced["state"] == "forced_open"
    assert forced["transitions"][-1]["reason"] == "deploy"
    closed = document(installed.run("reset", *shared, "--json"))
    assert closed["state"] == "closed"
    assert not (installed.cwd / ".resilience").exists()  # no state file was written


def test_the_environment_names_the_store(installed, redis_server):
    """RESILIENCE_STATE_URL and RESILIENCE_BREAKER do what --state and --breaker do."""
    env = {"RESILIENCE_STATE_URL": redis_server.url, "RESILIENCE_BREAKER": "from-env"}
    document(installed.run("force-open", "--json", env=env))
    assert document(installed.run("state", "--json", env=env))["state"] == "forced_open"
    by_flag = installed.run("state", "--state", redis_server.url, "--breaker", "from-env", "--json")
    assert document(by_flag)["state"] == "forced_open"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--state", "redis://127.0.0.1:port/0"], "is not a Redis URL"),
        (["--state", "redis://127.0.0.1:6379/zero"], "must be a database number"),
        (["--breaker", "a:b"], "is not a breaker name"),
        (["--breaker", "x" * 65], "at most 64 characters"),
        (["--store-unavailable", "maybe"], "is not one of local, fail-closed, fail-open"),
        (["--state", "redis://127.0.0.1:1/0", "--state-file", "b.json"], "not both"),
        (["--state", "redis://127.0.0.1:1/0", "--virtual-time"], "use a state file"),
    ],
)
def test_a_store_flag_that_makes_no_sense_is_one_line_and_exit_2(installed, args, message):
    """Bad URL, name or choice: one `error:` line naming it, exit 2, before any call."""
    result = installed.run("invoke", "-n", "1", *args)
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_an_unreachable_store_fails_state_with_exit_3_and_a_run_goes_on_locally(installed):
    """`state` cannot show what it cannot reach (exit 3); a run falls back and says so."""
    url = "redis://127.0.0.1:1/0"
    looked = installed.run("state", "--state", url)
    err = looked.stderr.decode()
    assert looked.returncode == 3
    assert err.startswith("error: state store redis://127.0.0.1:1/0 is unavailable (")
    assert err.count("\n") == 1
    run = installed.run("error", "-n", "10", "--state", url, "--json")
    assert document(run)["breaker"]["after"]["state"] == "open"  # the in-process breaker
    assert "an in-process breaker guards this process alone" in run.stderr.decode()
    closed = installed.run(
        "invoke", "-n", "3", "--state", url, "--store-unavailable", "fail-closed", "--json"
    )
    assert document(closed)["fallbacks"] == {"breaker_open": 3}
    opened = installed.run(
        "error", "-n", "3", "--state", url, "--store-unavailable", "fail-open", "--json"
    )
    assert document(opened)["fallbacks"] == {"http_5xx": 3}  # every call went through


def test_a_scenario_runs_its_steps_on_the_shared_breaker(installed, redis_server):
    """`run --state redis://...`: call, state, force-open and reset steps all use Redis."""
    (installed.cwd / "shared.yaml").write_text(
        "version: 1\ntitle: shared\nsteps:\n"
        "  - error: {count: 20}\n    expect: {breaker.state: open}\n"
        "  - state: {}\n    expect: {breaker.state: open}\n"
        "  - reset: {}\n    expect: {breaker.state: closed}\n"
        "  - force-open: {reason: hold}\n    expect: {breaker.state: forced_open}\n"
    )
    result = installed.run("run", "shared.yaml", "--state", redis_server.url, "--json")
    assert document(result)["exit_code"] == 0
    seen = document(installed.run("state", "--state", redis_server.url, "--json"))
    assert seen["state"] == "forced_open"


def test_named_file_breakers_live_beside_a_schema_1_file_which_stays_as_it_was(installed):
    """`--breaker api` gets breaker.api.json; a file written before names is `default`, kept."""
    folder = installed.cwd / ".resilience"
    folder.mkdir()
    old = folder / "breaker.json"
    old.write_text(
        json.dumps(
            {
                "kind": "resilience-cli/breaker-state",
                "schema_version": 1,
                "updated_at": "2026-01-01T00:00:00+00:00",
                "breaker": {
                    "format": 1,
                    "state": "forced_open",
                    "fail_count": 0,
                    "window": "",
                    "opened_at": "2026-01-01T00:00:00+00:00",
                    "transitions": [],
                },
            }
        )
    )
    before = old.read_bytes()
    opened = document(installed.run("error", "-n", "20", "--breaker", "api", "--json"))
    assert opened["breaker"]["after"]["state"] == "open"
    assert old.read_bytes() == before
    assert json.loads((folder / "breaker.api.json").read_text())["schema_version"] == 1
    assert document(installed.run("state", "--json"))["state"] == "forced_open"
    assert document(installed.run("state", "--breaker", "api", "--json"))["state"] == "open"
    document(installed.run("reset", "--json"))
    assert json.loads(old.read_text())["breaker"]["state"] == "closed"
    assert document(installed.run("state", "--breaker", "api", "--json"))["state"] == "open"


def watch(cwd, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESILIENCE_")}
    return subprocess.Popen(
        [RESILIENCE, "state", "--watch", "--interval", "0.1", *args],
        cwd=cwd,
        env=env | {"PYTHONIOENCODING": "utf-8"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_until(process: subprocess.Popen[str], wanted: str) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    while True:
        line = process.stdout.readline()
        assert line, f"the watch ended before {wanted!r}: {lines}"
        lines.append(line)
        if wanted in line:
            return lines


@NO_SIGNALS_TO_A_CHILD
@pytest.mark.parametrize("on_redis", [True, False], ids=["redis", "file"])
def test_watch_prints_each_change_as_it_happens_and_ctrl_c_ends_it_with_130(
    installed, redis_server, on_redis
):
    """Off a terminal: a line per change, each transition with its reason; Ctrl-C: exit 130."""
    store = ("--state", redis_server.url) if on_redis else ()
    with watch(installed.cwd, *store) as watcher:
        try:
            first = read_until(watcher, "CLOSED")
            assert "fail_count=0" in first[-1]
            installed.run("error", "-n", "20", *store)
            shown = read_until(watcher, "OPEN fail_count=5")
            assert any(
                "CLOSED -> OPEN: 5 consecutive failures >= threshold 5, so OPEN" in line
                for line in shown
            )
            asked = time.monotonic()
            watcher.send_signal(signal.SIGINT)
            watcher.wait(timeout=10)
            assert time.monotonic() - asked < 2
        finally:
            watcher.kill()
            watcher.wait()
    assert watcher.returncode == 130


def test_a_scenario_names_its_store_with_state_and_a_flag_wins_over_it(installed, redis_server):
    """`state: redis://...` in the file shares the breaker; `--state-file` overrides the key."""
    (installed.cwd / "keyed.yaml").write_text(
        f"version: 1\ntitle: keyed\nstate: '{redis_server.url}'\nsteps:\n"
        "  - force-open: {reason: from the file's store}\n"
    )
    document(installed.run("run", "keyed.yaml", "--json"))
    assert document(installed.run("state", "--state", redis_server.url, "--json"))["state"] == (
        "forced_open"
    )
    assert not (installed.cwd / ".resilience").exists()
    document(installed.run("run", "keyed.yaml", "--state-file", "local.json", "--json"))
    assert json.loads((installed.cwd / "local.json").read_text())["breaker"]["state"] == (
        "forced_open"
    )
    (installed.cwd / "bad.yaml").write_text(
        "version: 1\ntitle: bad\nstate: 'redis://:pw@127.0.0.1:port/0'\nsteps:\n  - reset: {}\n"
    )
    invalid = installed.run("validate", "bad.yaml")
    assert invalid.returncode == 2
    assert "is not a Redis URL" in invalid.stdout.decode() + invalid.stderr.decode()
    assert ":pw@" not in invalid.stdout.decode() + invalid.stderr.decode()
