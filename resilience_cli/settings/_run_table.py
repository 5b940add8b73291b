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
_REQUEST: Final = "What each call sends"

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
    # -- what each call sends (invoke) --------------------------------------------------
    Setting(
        "--method",
        Kind.TEXT,
        "GET",
        "HTTP method of every call: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS",
        commands=("invoke",),
        panel=_REQUEST,
    ),
    Setting(
        "--header",
        Kind.TEXTS,
        None,
        "A header sent with every call, 'Name: value' (repeat for more); ${VAR} takes the"
        " value from the environment, and it is never shown",
        short="-H",
        commands=("invoke",),
        panel=_REQUEST,
        shown_default="none",
    ),
    Setting(
        "--param",
        Kind.TEXTS,
        None,
        "A query parameter name=value added to every call (repeat for more); ${VAR} expands",
        commands=("invoke",),
        panel=_REQUEST,
        shown_default="none",
    ),
    Setting(
        "--data",
        Kind.TEXT,
        None,
        "The body of every call, or @FILE to send a file's content; ${VAR} expands",
        short="-d",
        commands=("invoke",),
        panel=_REQUEST,
        shown_default="none",
    ),
    Setting(
        "--data-json",
        Kind.TEXT,
        None,
        "A JSON body, sent with Content-Type: application/json; ${VAR} expands inside its strings",
        commands=("invoke",),
        panel=_REQUEST,
        shown_default="none",
    ),
    Setting(
        "--fail-on",
        Kind.TEXT,
        defaults.FAIL_ON,
        "What counts as a failure: 5xx, 4xx, statuses such as 429, timeout, connect; an"
        " answer not listed succeeds, a timeout or error not listed falls back uncounted",
        panel=_REQUEST,
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
