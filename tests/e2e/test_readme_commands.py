"""Every command the README shows works as written, in a folder laid out as a fresh clone.

The shell blocks run line by line in `bash` with the installed command on the PATH, the
CI snippets' `resilience` lines too, and the right-hand column of the table that maps the
original demo's `curl` lines. The walkthrough block has its own test, which also checks
what each line claims (test_readme_walkthrough.py). A line that cannot run here is listed
below with the reason; any other line the README gains is run without a change here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from resilience_cli.cli.scenario_cmds import SHIPPED

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN_DIR = Path(sys.executable).parent

NOT_RUN_HERE = {
    "make demo": "builds .venv, then `resilience run tour`, which the shipped-scenario test runs",
    "make check": "is this test suite",
    "make bench": "runs the benchmarks, which never run beside the tests",
    "make format": "rewrites the working tree",
    "pip install .": "installs the package; these tests run the installed one",
    "resilience upstream serve --phase 0s:delay=200ms --phase 20s:status=500@0.6": (
        "serves until Ctrl-C; tests/upstream/test_fault_control.py serves and steers one"
    ),
    "resilience stress --duration 2m --metrics-port 9464 --phase 30s:status=500@0.6 --phase"
    " 70s:healthy": (
        "two minutes of real time to be scraped; tests/e2e/test_stress_metrics.py runs and"
        " scrapes one"
    ),
    "resilience upstream fault status=503@0.5": "needs the server above, in another terminal",
    "resilience upstream fault --clear": "needs the server above, in another terminal",
    "HYPOTHESIS_PROFILE=explore RESILIENCE_FUZZ_SCALE=50 .venv/bin/pytest tests/fuzz": (
        "the nightly fuzz run, minutes long; tests/fuzz runs in this suite at its daily scale"
    ),
    "pip install httpbin waitress && waitress-serve --listen=127.0.0.1:8080 httpbin:app": (
        "serves until Ctrl-C on a fixed port; the tests serve the same httpbin under waitress"
        " on a free port (tests/httpbin_server.py)"
    ),
    "resilience upstream proxy --to http://127.0.0.1:8080 --port 8081": (
        "serves until Ctrl-C; tests/e2e/conftest.py starts it in front of the real httpbin"
        " on free ports"
    ),
    "export RESILIENCE_BASE_URL=http://127.0.0.1:8081": (
        "sets the shell up for the walkthrough's lines, which test_readme_walkthrough.py runs"
        " with it set, through the proxy in front of the real httpbin"
    ),
    "resilience upstream serve --port 8080": "serves until Ctrl-C; loopback_upstream runs it",
    "resilience upstream proxy --to http://127.0.0.1:8080 --error 503:0.3": (
        "serves until Ctrl-C; the proxy fixture runs it, and tests/proxy/ tests each fault"
    ),
    "resilience upstream faults --latency 0.5 --jitter 0.2": (
        "needs the proxy above, running; test_against_httpbin.py changes a running proxy's"
        " faults so"
    ),
}
POSIX_SHELL = pytest.mark.skipif(
    sys.platform == "win32", reason="the README's sh blocks are POSIX shell; PowerShell has its own"
)


def fenced(language: str) -> list[tuple[str, str]]:
    """Each fenced block in `language`: the heading above it, and its text."""
    blocks = []
    for match in re.finditer(rf"^```{language}\n(.*?)^```", README, re.MULTILINE | re.DOTALL):
        headings = re.findall(r"^#+ (.*)$", README[: match.start()], re.MULTILINE)
        blocks.append((headings[-1] if headings else "", match.group(1)))
    return blocks


def shell_lines() -> list[str]:
    """The commands of every `sh` block but the walkthrough's, comments dropped."""
    lines = []
    for heading, text in fenced("sh"):
        if heading.startswith("Walkthrough"):
            continue
        for raw in text.splitlines():
            command = re.sub(r"\s+#.*$", "", raw).strip()
            if command and not command.startswith("#"):
                lines.append(command)
    return lines


def ci_lines() -> list[str]:
    """The shell commands of the CI snippets (`- run: ...` and `script:` items)."""
    lines = []
    for _, text in fenced("yaml"):
        lines += re.findall(r"^\s*-\s+(?:run:\s+)?((?:resilience|pip) .*)$", text, re.MULTILINE)
    return lines


def curl_mapping() -> list[str]:
    """The commands that stand for the original demo's `curl` lines, in the table's order."""
    section = README.split("### From the original demo's `curl` one-liners", 1)[1]
    return re.findall(r"^\| `curl [^|]*\| `(resilience [^`]*)` \|$", section, re.MULTILINE)


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A folder laid out as a fresh clone's top level, as far as the commands reach."""
    shutil.copytree(SHIPPED, tmp_path / "scenarios")
    return tmp_path


def run_in_shell(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`line` as a user types it, with the installed `resilience` first on the PATH."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("RESILIENCE_")}
    env |= {
        "PATH": f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}",
        "PYTHONIOENCODING": "utf-8",
    }
    env.pop("GITHUB_STEP_SUMMARY", None)
    return subprocess.run(
        ["bash", "-c", line],
        cwd=cwd,
        env=env,
        input="\n" * 40,  # Enter for every prompt of `run tour --interactive`
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=90,
        check=False,
    )


def test_the_readme_has_the_commands_this_test_runs():
    """The blocks are found: the scenario commands, the CI lines, the curl table."""
    assert "resilience run tour --interactive" in shell_lines()
    assert any(line.startswith("mkdir -p out && resilience run") for line in shell_lines())
    assert "pip install ." in ci_lines()
    assert len(curl_mapping()) == 8


@pytest.mark.slow
@POSIX_SHELL
def test_every_shell_and_ci_command_works_as_written(clone):
    """Each `sh` line and CI line exits 0 from a fresh clone, and leaves what it promises."""
    ran = []
    for line in [*shell_lines(), *ci_lines()]:
        if line in NOT_RUN_HERE:
            continue
        result = run_in_shell(line, clone)
        assert result.returncode == 0, f"{line}\n{result.stderr}"
        ran.append(line)
    assert len(ran) >= 8
    run = json.loads((clone / "out" / "run.json").read_text(encoding="utf-8"))
    assert (run["schema"], run["exit_code"]) == ("resilience-cli/scenario-run", 0)
    assert (clone / "out" / "junit.xml").read_text(encoding="utf-8").startswith("<?xml")
    assert "<svg" in (clone / "tour-01.svg").read_text(encoding="utf-8")
    schema = json.loads((clone / "scenario.schema.json").read_text(encoding="utf-8"))
    assert "properties" in schema


@pytest.mark.slow
@POSIX_SHELL
def test_the_commands_that_replace_the_curl_lines_work(clone):
    """Each command of the curl table exits 0, in the table's order, in one folder."""
    for line in curl_mapping():
        result = run_in_shell(line, clone)
        assert result.returncode == 0, f"{line}\n{result.stderr}"
