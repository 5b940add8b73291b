"""The README's examples are run, so they cannot drift from the code."""

import re
from pathlib import Path

from typer.testing import CliRunner

from resilience_cli.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def yaml_example() -> str:
    section = README.split("### The format (version 1), one complete example", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match, "the README lost its complete example"
    return match.group(1)


def test_the_complete_example_validates_and_runs(tmp_path, monkeypatch):
    """The README's scenario example is valid and passes in virtual time."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "example.yaml").write_text(yaml_example())
    runner = CliRunner()
    assert runner.invoke(app, ["validate", "example.yaml"]).exit_code == 0
    result = runner.invoke(app, ["run", "example.yaml", "--virtual-time"])
    assert result.exit_code == 0, result.stdout


def test_the_first_lines_give_the_two_setup_commands():
    """The README opens with `make demo` and `make check`, and the Makefile has both."""
    head = README.splitlines()[:6]
    assert any(line.startswith("make demo") for line in head)
    assert any(line.startswith("make check") for line in head)
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert "\ndemo:" in makefile
    assert "\ncheck:" in makefile
