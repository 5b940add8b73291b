import subprocess
import sys

import pytest
from typer.testing import CliRunner

from resilience_cli import __version__, cli
from resilience_cli.cli import app

runner = CliRunner()


def test_version_prints_the_package_version():
    """--version prints 'resilience X.Y.Z' and exits 0."""
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"resilience {__version__}"


def test_help_lists_the_patterns_and_their_order():
    """--help names the patterns and the order they wrap a call."""
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "circuit breaker" in result.output
    assert "fallback, bulkhead, total deadline, retry" in " ".join(result.output.split())


def test_explain_prints_the_pipeline_order():
    """`resilience explain` draws the layers, outermost first."""
    result = runner.invoke(app, ["explain"])
    assert result.exit_code == 0
    assert result.output.index("fallback") < result.output.index("bulkhead")
    assert result.output.index("breaker") < result.output.index("rate limiter")


def test_python_dash_m_runs_the_same_cli():
    """`python -m resilience_cli --version` works like the console script."""
    done = subprocess.run(
        [sys.executable, "-m", "resilience_cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"resilience {__version__}"


def test_help_does_not_import_the_heavy_modules():
    """`resilience --help` imports neither httpx, structlog, yaml nor the patterns."""
    probe = (
        "import sys\n"
        "from resilience_cli.cli import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('httpx', 'structlog', 'yaml', 'resilience_cli.patterns')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60
    )
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr


def test_state_does_not_import_httpx_yaml_or_the_upstream(tmp_path):
    """`resilience state` only reads the state file: no httpx, YAML, upstream, lock or pydantic."""
    probe = (
        "import sys\n"
        "from resilience_cli.cli import app\n"
        "try:\n"
        "    app(['state'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('httpx', 'yaml', 'resilience_cli.upstream', 'h11', 'filelock',"
        " 'pydantic', 'resilience_cli.run')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=60,
    )
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr


def test_main_spares_the_collector_its_walk_on_the_way_out(monkeypatch, capsys):
    """The console script freezes the collector as it exits, error or not: exit is faster."""
    frozen = []
    monkeypatch.setattr(cli.gc, "freeze", lambda: frozen.append(True))
    for argv, code in ((["resilience", "--version"], 0), (["resilience", "statx"], 2)):
        monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(SystemExit) as exit_:
            cli.main()
        assert exit_.value.code == code
    assert frozen == [True, True]
    assert "No such command 'statx'" in capsys.readouterr().err
