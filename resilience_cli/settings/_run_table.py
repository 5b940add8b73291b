"""The settings of a run: what one call command asks for, and where its output goes.

The order is the order of `--help`; each call command's own option (`--mix`, `--seconds`,
`--status`) comes first.
"""

from __future__ import annotations

from typing import Final

from resilience_cli import defaults, limits
from resilience_cli.mix import DEFAULT_MIX
from resilience_cli.settings._setting import Kind, Setting

_OUTPUT: Final = "Output and state"

RUN_SETTINGS: Final = (
    # -- what one command asks for ------------------------------------------------------
    Setting(
        "--mix",
        Kind.TEXT,
        DEFAULT_MIX,
        "Weighted paths /path:weight,..., drawn with the seed; a comma before a digit stays"
        " in the path: /status/200,500:1 is one path",
        commands=("invoke",),
    ),
    Setting(
        "--seconds",
        Kind.SECONDS,
        3.0,
        "How long the upstream waits before answering",
        unit="s",
        low=0,
        high=limits.MAX_SECONDS,
        commands=("delay",),
    ),
    Setting(
        "--status",
        Kind.TEXT,
        "500",
        "The status the upstream answers: 500, or a choice such as 200,500 or"
        " 200:0.7,500:0.3 (weighted)",
        commands=("error",),
    ),
    # -- the run ---------------------------------------------------------------------------
    Setting(
        "--count",
        Kind.WHOLE,
        10,
        "Logical calls to make",
        short="-n",
        low=1,
        high=limits.MAX_CALLS,
        per_command=(("delay", 8), ("error", 20)),
        panel=_OUTPUT,
    ),
    Setting(
        "--concurrency",
        Kind.WHOLE,
        10,
        "Calls offered at once (the load; the bulkhead decides how many run)",
        short="-c",
        low=1,
        high=limits.MAX_CONCURRENCY,
        per_command=(("delay", 4), ("error", 1)),
        panel=_OUTPUT,
    ),
    Setting(
        "--seed",
        Kind.WHOLE,
        0,
        "Seed for the call mix, the jitter and the upstream's random answers",
        low=0,
        high=limits.MAX_SEED,
        panel=_OUTPUT,
    ),
    Setting(
        "--json",
        Kind.SWITCH,
        default=False,
        help="Print one versioned JSON document on stdout",
        panel=_OUTPUT,
    ),
    Setting(
        "--base-url",
        Kind.TEXT,
        None,
        "Send the calls to this httpbin-compatible URL instead of the embedded upstream",
        panel=_OUTPUT,
        envvar="RESILIENCE_BASE_URL",
        shown_default="embedded",
    ),
    Setting(
        "--state-file",
        Kind.PATH,
        None,
        "Breaker state file",
        panel=_OUTPUT,
        envvar="RESILIENCE_STATE_FILE",
        shown_default=".resilience/breaker.json",
    ),
    Setting(
        "--state",
        Kind.TEXT,
        None,
        "Where the breaker lives: a state file's path, or redis://[:password@]host:port/db"
        " to share it live between processes and machines",
        panel=_OUTPUT,
        envvar="RESILIENCE_STATE_URL",
        shown_default="the state file",
    ),
    Setting(
        "--breaker",
        Kind.TEXT,
        "default",
        "Which named breaker of the store to use (letters, digits, _ . -; at most"
        f" {limits.MAX_BREAKER_NAME} characters)",
        panel=_OUTPUT,
        envvar="RESILIENCE_BREAKER",
    ),
    Setting(
        "--store-unavailable",
        Kind.TEXT,
        "local",
        "What to do while a Redis state store cannot be reached: local (an in-process"
        " breaker guards this process), fail-closed (refuse every call) or fail-open (let"
        " every call through)",
        panel=_OUTPUT,
    ),
    Setting(
        "--lock-timeout",
        Kind.SECONDS,
        defaults.LOCK_TIMEOUT,
        "Seconds to wait for another resilience command's state lock (a run holds it until"
        " it ends); 0: do not wait",
        unit="s",
        low=0,
        high=limits.MAX_SECONDS,
        panel=_OUTPUT,
    ),
    Setting(
        "--log-file",
        Kind.PATH,
        defaults.LOG_FILE,
        "JSON-lines log of every decision",
        panel=_OUTPUT,
        envvar="RESILIENCE_LOG_FILE",
    ),
    Setting(
        "--record",
        Kind.PATH,
        None,
        "Write a trace to this file: each call's arrival and what the upstream did with"
        " each request (JSON lines), for `resilience compare`",
        panel=_OUTPUT,
        shown_default="off",
    ),
    Setting(
        "--virtual-time",
        Kind.SWITCH,
        default=False,
        help="Run on a virtual clock against the in-process upstream: minutes of waits in"
        " milliseconds, the same result for a seed",
        panel=_OUTPUT,
    ),
)
