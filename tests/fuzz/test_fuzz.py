"""Damaged scenarios and state files, fed to `validate`, `state`, `run` and the operators.

Whatever the damage, a command exits 0, 1 or 2, never prints a traceback or "internal
error", and a command that exits 2 leaves the state file exactly as it was (bytes and
mtime). `state` never touches it at all, and a command that wrote it left it readable.
`harness.py` says how to run these longer (a nightly job) and how a hang is caught;
`damaged.py` which damaged files are drawn, from `corpus.py` (what is damaged),
`mutations.py` (how) and `values.py` (with what).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Final

import pytest
from corpus import STATE_BYTES
from damaged import DAMAGED_SCENARIOS, DAMAGED_STATE_FILES, RUNNABLE_SCENARIOS
from harness import SCALE, FileMark, check, check_untouched, fuzz_settings, invoke
from hypothesis import event, given
from hypothesis import strategies as st
from values import TEXTS

from resilience_cli.scenarios import ScenarioError, load_scenario

pytestmark = pytest.mark.timeout(120 * SCALE)

# A damaged scenario that is still valid runs only if it makes at most this many attempts:
# the shipped ones make a few hundred; a million would only measure patience.
MAX_ATTEMPTS_RUN: Final = 2_000
# What runs on a damaged state file: it reads the breaker, steers it, and makes calls.
SMALL_SCENARIO: Final = """\
version: 1
title: the breaker as the state file left it
steps:
  - state: {}
  - error: {count: 3, concurrency: 1}
  - pause: 40s
  - invoke: {count: 2, mix: "/get:1"}
  - force-open: {reason: fuzz}
finally:
  - state: {}
"""


def _attempts(path: Path) -> int | None:
    """How many attempts the scenario at `path` may make at most; None if it is invalid."""
    try:
        scenario = load_scenario(path)
    except ScenarioError:
        return None
    total = 0
    for _, step in scenario.sections():
        count = getattr(step.settings, "count", 0)
        if step.stress is not None:  # a stress step's calls are its arrivals
            count = step.stress.profile().arrival_count
        retry = scenario.resolved_policies(step).retry if step.takes_policies else None
        total += count * (1 if retry is None else retry.attempts)
    return total


def _run_checked(args: list[str], state: Path, env: dict[str, str] | None = None) -> int:
    """Run `args`; check the outcome, and that exit 2 left the state file alone."""
    before = FileMark.of(state)
    outcome = invoke(args, env)
    check(outcome, args)
    if outcome.result.exit_code == 2:
        check_untouched(before, FileMark.of(state), args)
    return outcome.result.exit_code


def _readable(state: Path) -> None:
    """The next command reads what a command wrote: nothing it saved is lost."""
    args = ["state", "--state-file", str(state)]
    outcome = invoke(args)
    check(outcome, args)
    assert outcome.result.exit_code == 0, outcome.result.stderr


@fuzz_settings(examples=30)
@given(data=DAMAGED_SCENARIOS, as_json=st.booleans())
def test_validate_refuses_a_damaged_scenario_in_one_line_per_problem(data, as_json):
    """`validate` on a damaged shipped scenario: exit 0 or 2, never a crash."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scenario.yaml"
        path.write_bytes(data)
        args = ["validate", str(path), *(["--json"] if as_json else [])]
        outcome = invoke(args)
        check(outcome, args)
        assert outcome.result.exit_code in {0, 2}
        event(f"validate exit {outcome.result.exit_code}")


# What a scenario may be called: with a space, an accent, or a byte that is not UTF-8.
FILE_NAMES: Final = ("scenario.yaml", "my scenario.yaml", "caf\u00e9.yaml", "caf\udce9.yaml")


def _scenario_file(folder: Path, name: str, data: bytes) -> Path:
    """`data` in `folder/name`, or in `scenario.yaml` where the system refuses the name."""
    path = folder / name
    try:
        path.write_bytes(data)
    except (OSError, UnicodeError):  # macOS and Windows take only names that are Unicode
        path = folder / FILE_NAMES[0]
        path.write_bytes(data)
    return path


@fuzz_settings(examples=10)
@given(
    data=RUNNABLE_SCENARIOS,
    name=st.sampled_from(FILE_NAMES),
    state=st.one_of(st.none(), st.sampled_from(STATE_BYTES)),
    as_json=st.booleans(),
)
def test_run_of_a_damaged_scenario_exits_0_1_or_2_and_keeps_the_state(data, name, state, as_json):
    """`run --virtual-time` on a damaged scenario: 0, 1 or 2, and exit 2 writes nothing."""
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        path = _scenario_file(folder, name, data)
        state_file = folder / ".resilience" / "breaker.json"
        if state is not None:
            state_file.parent.mkdir()
            state_file.write_bytes(state)
        attempts = _attempts(path)
        if attempts is not None and attempts > MAX_ATTEMPTS_RUN:
            event("valid, but too many attempts to run here")
            return
        event("refused" if attempts is None else "runs")
        args = [
            "run",
            str(path),
            "--virtual-time",
            "--state-file",
            str(state_file),
            "--log-file",
            str(folder / "app.log"),
            "--junit",
            str(folder / "junit.xml"),
            *(["--json"] if as_json else []),
        ]
        summary = {"GITHUB_STEP_SUMMARY": str(folder / "summary.md")}
        code = _run_checked(args, state_file, env=summary)
        if attempts is None:
            assert code == 2
        elif state_file.exists():
            _readable(state_file)


# `run` twice: it is the one that reads, counts and writes.
COMMANDS: Final = ("run", "state", "state --json", "reset", "force-open", "run")


@fuzz_settings(examples=30)
@given(
    data=DAMAGED_STATE_FILES,
    in_our_folder=st.booleans(),
    command=st.sampled_from(COMMANDS),
    reason=st.one_of(st.sampled_from(TEXTS), st.text(max_size=10)),
)
def test_a_damaged_state_file_is_refused_and_left_as_it_was(data, in_our_folder, command, reason):
    """`state`, `reset`, `force-open`, `run` on a damaged state file: exit 2 keeps it whole."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        state_file = root / (".resilience" if in_our_folder else "elsewhere") / "breaker.json"
        state_file.parent.mkdir()
        state_file.write_bytes(data)
        scenario = root / "small.yaml"
        scenario.write_text(SMALL_SCENARIO, encoding="utf-8")
        log = ["--log-file", str(root / "app.log")]
        args = [
            *{
                "state": ["state"],
                "state --json": ["state", "--json"],
                "reset": ["reset", "--lock-timeout", "0", *log],
                "force-open": ["force-open", "--reason", reason, "--lock-timeout", "0", *log],
                "run": ["run", str(scenario), "--virtual-time", *log],
            }[command],
            "--state-file",
            str(state_file),
        ]
        before = FileMark.of(state_file)
        code = _run_checked(args, state_file)
        event(f"{command} exit {code}")
        if command.startswith("state"):
            check_untouched(before, FileMark.of(state_file), args)
        elif code != 2 and FileMark.of(state_file) != before:
            _readable(state_file)
