"""The table of `resilience`'s commands: what `--help` lists, and which module has each.

The group imports a command's module only when that command runs (`cli.lazy`), so this
table, not the modules, is what `resilience --help` and completion read. Each summary is
the first paragraph of the command's help, word for word; a test holds them together.
"""

from __future__ import annotations

from typing import Final

from resilience_cli.cli.lazy import CommandEntry

_CALLS: Final = "resilience_cli.cli.calls"
_BREAKER: Final = "resilience_cli.cli.breaker"
_SCENARIOS: Final = "resilience_cli.cli.scenario_cmds"

COMMANDS: Final = (
    CommandEntry(
        "explain",
        "resilience_cli.cli.explain",
        "Print the order in which the patterns wrap each call, and why.",
    ),
    CommandEntry("invoke", _CALLS, "N mixed calls across /get, /delay/3 and /status/500, seeded."),
    CommandEntry(
        "delay",
        _CALLS,
        "N calls to /delay/3: with a 2 s attempt timeout, each times out and is retried.",
    ),
    CommandEntry("error", _CALLS, "N calls to /status/500, which open the circuit breaker."),
    CommandEntry(
        "stress",
        "resilience_cli.cli.stress",
        "Open-loop load for a duration, with fault phases and a live dashboard.",
    ),
    CommandEntry(
        "state",
        _BREAKER,
        "Show the breaker: state, fail count, opened_at, time to half-open, recent transitions.",
    ),
    CommandEntry(
        "force-open",
        _BREAKER,
        "Hold the breaker open: every call falls back until `resilience reset`.",
    ),
    CommandEntry(
        "reset",
        _BREAKER,
        "Close the breaker and clear its counters; also the way out of a broken state file.",
    ),
    CommandEntry(
        "run",
        "resilience_cli.cli.scenario_run",
        "Run scenario files: each step like its one-liner, each expectation judged.",
    ),
    CommandEntry(
        "validate",
        _SCENARIOS,
        "Check scenario files without running them; exit 2 with file:line:col problems.",
    ),
    CommandEntry(
        "scenarios",
        _SCENARIOS,
        "List the shipped scenarios with their titles; run one with `resilience run NAME`.",
    ),
    CommandEntry(
        "schema",
        _SCENARIOS,
        "Print the JSON Schema of scenario files, for editors with a YAML language server.",
    ),
    CommandEntry(
        "compare",
        "resilience_cli.cli.compare_cmd",
        "Replay a recorded trace through presets in virtual time and compare them side by side.",
    ),
    CommandEntry(
        "logs",
        "resilience_cli.cli.logs",
        "Show the decision log: every breaker transition, retry, rejection and fallback.",
    ),
    CommandEntry(
        "upstream",
        "resilience_cli.cli.upstream",
        "The embedded httpbin-compatible fault server: serve it, or check an upstream;"
        " or put a fault-injecting proxy in front of any HTTP service.",
    ),
)
