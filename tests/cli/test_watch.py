"""`resilience state --watch`, rendered to a string: live on a terminal, lines off one."""

from __future__ import annotations

import io
import json

import pytest
import typer
from rich.console import Console

from resilience_cli.cli.watch import watch_breaker
from resilience_cli.clock import SystemClock
from resilience_cli.patterns import CircuitBreaker
from resilience_cli.state import JsonFileStore
from resilience_cli.state.memento import to_snapshot
from resilience_cli.state.redis_store import RedisStore


def console(*, terminal: bool) -> Console:
    return Console(file=io.StringIO(), width=100, force_terminal=terminal, color_system=None)


def opened(store: JsonFileStore) -> None:
    breaker = CircuitBreaker(clock=SystemClock())
    for _ in range(5):
        breaker.record(breaker.acquire(), 0.01, "http_5xx")
    store.save(to_snapshot(breaker))


def test_on_a_terminal_the_view_is_redrawn_with_each_look(tmp_path):
    """Each look redraws the breaker's panel, with the change made between two looks."""
    store = JsonFileStore(tmp_path / "breaker.json")
    out = console(terminal=True)
    watch_breaker(
        store, SystemClock(), interval=0.1, json=False, console=out,
        sleep=lambda _: opened(store), looks=2,
    )  # fmt: skip
    text = out.file.getvalue()
    assert "Circuit breaker, live, Ctrl-C to stop" in text
    assert "CLOSED" in text
    assert "OPEN" in text.split("CLOSED", 1)[1]


def test_off_a_terminal_a_line_per_change_and_one_per_transition(tmp_path):
    """Unchanged looks print nothing; a change prints its state line and its transition."""
    store = JsonFileStore(tmp_path / "breaker.json")
    out = console(terminal=False)
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 2:
            opened(store)

    watch_breaker(
        store, SystemClock(), interval=0.25, json=False, console=out, sleep=pause, looks=4
    )
    lines = out.file.getvalue().splitlines()
    assert pauses == [0.25, 0.25, 0.25]
    assert len(lines) == 3, lines
    assert lines[0].endswith("CLOSED fail_count=0")
    assert "CLOSED -> OPEN: 5 consecutive failures >= threshold 5, so OPEN" in lines[1]
    assert " OPEN fail_count=5 opened_at=" in lines[2]


def test_with_json_each_change_is_one_state_document(tmp_path):
    """`--watch --json`: one `state --json` document per line, per change."""
    store = JsonFileStore(tmp_path / "breaker.json")
    out = console(terminal=True)  # --json prints lines even on a terminal
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 1:
            opened(store)

    watch_breaker(store, SystemClock(), interval=0.1, json=True, console=out, sleep=pause, looks=3)
    documents = [json.loads(line) for line in out.file.getvalue().splitlines()]
    assert [d["state"] for d in documents] == ["closed", "open"]


def test_a_store_that_cannot_be_reached_is_said_once_and_watched_again(tmp_path):
    """An unreachable Redis: one line saying so, then the watch goes on looking."""
    del tmp_path
    out = console(terminal=False)
    store = RedisStore("redis://:secret@127.0.0.1:1/0", "default")
    watch_breaker(
        store, SystemClock(), interval=0.1, json=False, console=out, sleep=lambda _: None, looks=3
    )
    lines = out.file.getvalue().splitlines()
    assert len(lines) == 1
    assert "state store redis://:***@127.0.0.1:1/0 is unavailable" in lines[0]


def test_ctrl_c_ends_the_watch_at_once_with_130(tmp_path):
    """Ctrl-C during the pause between looks is exit 130, nothing else."""
    store = JsonFileStore(tmp_path / "breaker.json")

    def interrupted(_: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(typer.Exit) as stopped:
        watch_breaker(
            store, SystemClock(), interval=0.1, json=False, console=console(terminal=True),
            sleep=interrupted,
        )  # fmt: skip
    assert stopped.value.exit_code == 130
