"""Every command works on a console that cannot encode `→ ✓ ✗` (Windows cp1252, ASCII).

Each runs as the installed command with PYTHONIOENCODING set, in virtual time or against
the loopback upstream, and must exit as documented, print valid text in that encoding
with ASCII stand-ins for our symbols, and never say "internal error".
"""

FORCE_REASON = "maintenance \u2192 \u2713 \u2014 caf\u00e9"


def commands(upstream: str) -> list[tuple[tuple[str, ...], int]]:
    """Every command, with the exit code it must give, in an order that tells a story."""
    return [
        (("--help",), 0),
        (("--version",), 0),
        (("explain",), 0),
        (("invoke", "--help"), 0),
        (("invoke", "-n", "3", "--virtual-time"), 0),
        (("delay", "-n", "2", "--virtual-time"), 0),
        (("reset",), 0),
        (("error", "-n", "6", "--virtual-time"), 0),
        (("state",), 0),
        (("state", "--json"), 0),
        (("force-open", "--reason", FORCE_REASON), 0),
        (("invoke", "-n", "2", "--base-url", upstream), 0),
        (("reset",), 0),
        (("logs", "-n", "30"), 0),
        (("logs", "-n", "5", "--raw"), 0),
        (("scenarios",), 0),
        (("validate", "tour", "ci-smoke"), 0),
        (("schema",), 0),
        (("run", "tour", "--virtual-time"), 0),
        (("run", "ci-smoke", "--virtual-time", "--json"), 0),
        (("upstream", "check", "--base-url", upstream), 0),
        (("upstream", "check", "--base-url", upstream, "--json"), 0),
        (("invoke", "-n", "many"), 2),
        (("run", "n\u00f8such\u2192"), 2),
        (("validate", "."), 2),
    ]


def test_every_command_degrades_to_ascii_instead_of_failing(installed, loopback_upstream):
    """cp1252: no "internal error", no traceback, the documented exit code, ASCII stand-ins."""
    encoding = "cp1252"
    env = {"PYTHONIOENCODING": encoding}
    printed = {}
    for args, code in commands(loopback_upstream):
        result = installed.run(*args, env=env)
        stdout = result.stdout.decode(encoding)  # strict: it must be valid in that encoding
        stderr = result.stderr.decode(encoding)
        assert result.returncode == code, (args, stdout[-1500:], stderr)
        assert "error: internal error" not in stderr, args
        assert "Traceback" not in stderr, args
        printed[args[0] if args[0] != "run" else " ".join(args[:2])] = stdout + stderr
    assert "breaker CLOSED -> OPEN" in printed["error"]
    assert "OPEN -> FORCED_OPEN" in printed["force-open"]
    assert "maintenance -> ok" in printed["force-open"]
    assert "ok breaker.state value == open" in printed["run tour"]
    assert "+- bulkhead" in printed["explain"]
    assert "such->: no such file" in printed["run n\u00f8such\u2192"]  # on stderr
    assert "error: " in printed["validate"]
    for text in printed.values():
        assert "\u2192" not in text


def test_an_ascii_console_gets_ascii_only(installed):
    """PYTHONIOENCODING=ascii: the same stand-ins, and accented letters lose their accent."""
    env = {"PYTHONIOENCODING": "ascii"}
    for args in (
        ("explain",),
        ("error", "-n", "6", "--virtual-time"),
        ("force-open", "--reason", FORCE_REASON),
        ("run", "circuit-breaker", "--virtual-time"),
        ("scenarios",),
    ):
        result = installed.run(*args, env=env)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stdout.isascii(), args
        assert result.stderr.isascii(), args
    forced = installed.run("state", env=env).stdout.decode("ascii")
    assert "maintenance -> ok - cafe" in forced
