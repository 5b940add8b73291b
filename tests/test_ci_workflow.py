"""The CI workflow is valid for GitHub Actions and runs the README's checks on three systems."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
NIGHTLY = ROOT / ".github" / "workflows" / "nightly.yml"


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    """Validate against the GitHub workflow schema that check-jsonschema ships (offline)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_workflow_validates():
    """`check-jsonschema --builtin-schema vendor.github-workflows` accepts ci.yml."""
    result = check_jsonschema(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_nightly_workflow_validates_and_runs_the_readmes_fuzz_command():
    """nightly.yml validates, and runs the fuzz tests exactly as the README says."""
    result = check_jsonschema(NIGHTLY)
    assert result.returncode == 0, result.stdout + result.stderr
    steps = yaml.safe_load(NIGHTLY.read_text())["jobs"]["fuzz"]["steps"]
    command = steps[-1]["run"]
    assert "RESILIENCE_FUZZ_SCALE=50" in command
    assert "HYPOTHESIS_PROFILE=explore" in command
    assert command in (ROOT / "README.md").read_text()


def test_the_validation_would_catch_a_mistake(tmp_path):
    """A misspelt key is refused, so the check above can fail."""
    broken = tmp_path / "ci.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on:", "run-on:"))
    assert check_jsonschema(broken).returncode == 1


def test_the_matrix_covers_three_systems_and_two_pythons():
    """ubuntu, macOS and Windows, each with Python 3.11 and 3.13, none cancelling the others."""
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["check"]
    matrix = job["strategy"]["matrix"]
    assert matrix["os"] == ["ubuntu-latest", "macos-latest", "windows-latest"]
    assert matrix["python"] == ["3.11", "3.13"]
    assert job["strategy"]["fail-fast"] is False


def test_every_system_runs_the_readmes_checks():
    """Linux and macOS run `make check`; Windows runs its steps: ruff, mypy, pytest."""
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["check"]["steps"]
    readme = (ROOT / "README.md").read_text()
    assert "make check" in readme
    unix = [step["run"] for step in steps if step.get("if") == "runner.os != 'Windows'"]
    assert unix == ["make check PYTHON=python"]
    windows = "\n".join(step["run"] for step in steps if step.get("if") == "runner.os == 'Windows'")
    makefile = (ROOT / "Makefile").read_text()
    for command in ("ruff format --check .", "ruff check .", "mypy", "coverage run -m pytest"):
        assert command in makefile
        assert command in windows
    assert 'pip install --quiet -e ".[dev]"' in windows


@pytest.mark.linux_service("nothing: this test checks the marker itself")
def test_a_linux_service_test_runs_on_linux_and_only_there():
    """The `linux_service` marker skips on macOS and Windows; on Linux the test runs."""
    assert sys.platform.startswith("linux")
