"""The settings of a run: what one call command asks for, and where its output goes.

The order is the order of `--help`; each call command's own option (`--mix`, `--seconds`,
`--status`) comes first.
"""

from __future__ import annotations

from typing import Final

from resilience_cli import defaults, limits
from resilience_cli.mix import DEFAULT_MIX
from resilience_cli.settings._setting import CALL_COMMANDS, Kind, Setting

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
        commands=("invoke", "stress"),
        # Under stress the faults are the phases': the default mix's own 500s and slow
        # calls would blur them.
        per_command=(("stress", "/get:1"),),
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
    # -- what each call sends (invoke, stress) ------------------------------------------
    Setting(
        "--method",
        Kind.TEXT,
        "GET",
        "HTTP method of every call: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS",
        commands=("invoke", "stress"),
        panel=_REQUEST,
    ),
    Setting(
        "--header",
        Kind.TEXTS,
        None,
        "A header sent with every call, 'Name: value' (repeat for more); ${VAR} takes the"
        " value from the environment, and it is never shown",
        short="-H",
        commands=("invoke", "stress"),
        panel=_REQUEST,
        shown_default="none",
    ),
    Setting(
        "--param",
        Kind.TEXTS,
        None,
        "A query parameter name=value added to every call (repeat for more); ${VAR} expands",
        commands=("invoke", "stress"),
        panel=_REQUEST,
        shown_default="none",
    ),
    Setting(
        "--data",
        Kind.TEXT,
        None,
        "The body of every call, or @FILE to send a file's content; ${VAR} expands",
        short="-d",
        commands=("invoke", "stress"),
        panel=_REQUEST,
        shown_default="none",
    ),
    Setting(
        "--data-json",
        Kind.TEXT,
        None,
        "A JSON body, sent with Content-Type: application/json; ${VAR} expands inside its strings",
        commands=("invoke", "stress"),
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
    # -- what a stress run asks for ----------------------------------------------------------
    Setting(
        "--duration",
        Kind.TEXT,
        None,
        "How long arrivals come: 30s, 500ms, 5m or a number of seconds, at most a day"
        " (--stages set it themselves)",
        commands=("stress",),
        shown_default="30s",
    ),
    Setting(
        "--arrival-rate",
        Kind.NUMBER,
        None,
        "Arrivals per second, scheduled by the clock whatever the answers (open loop); with"
        " --stages, the rate they start from",
        unit="/s",
        low=0,
        high=limits.MAX_ARRIVAL_RATE,
        commands=("stress",),
        shown_default="20/s (0 with --stages)",
    ),
    Setting(
        "--stages",
        Kind.TEXT,
        None,
        "Ramp the arrival rate as k6 does, DURATION:RATE,... (10s:50,20s:200,10s:0): a"
        " straight line to each stage's rate over its duration",
        commands=("stress",),
    ),
    Setting(
        "--max-in-flight",
        Kind.WHOLE,
        500,
        "Calls in flight at most; an arrival past it is dropped and counted, never delayed",
        low=1,
        high=limits.MAX_IN_FLIGHT,
        commands=("stress",),
    ),
    Setting(
        "--interval",
        Kind.SECONDS,
        1.0,
        "Seconds per row of the time series, per progress line and per timeline cell",
        unit="s",
        low=limits.MIN_INTERVAL,
        high=3600,
        commands=("stress",),
    ),
    Setting(
        "--phase",
        Kind.TEXT,
        None,
        "A fault phase AT:FAULT, repeatable: from AT into the run the embedded upstream"
        " applies FAULT: healthy, status=CODE@CHANCE, delay=SECONDS@CHANCE (a chance left out"
        " is 1), or both joined by a comma: 10s:status=500@0.6, 25s:delay=3s@0.3, 40s:healthy",
        commands=("stress",),
        repeatable=True,
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
        commands=CALL_COMMANDS,
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
        commands=CALL_COMMANDS,
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
        "--log-max-bytes",
        Kind.WHOLE,
        defaults.LOG_MAX_BYTES,
        "Size in bytes at which the log rotates: app.log moves to app.log.1 (10485760 = 10 MiB)",
        low=limits.MIN_LOG_BYTES,
        high=limits.MAX_LOG_BYTES,
        panel=_OUTPUT,
    ),
    Setting(
        "--log-backups",
        Kind.WHOLE,
        defaults.LOG_BACKUPS,
        "Rotated logs kept, app.log.1 the newest; 0: none",
        low=0,
        high=limits.MAX_LOG_BACKUPS,
        panel=_OUTPUT,
    ),
    Setting(
        "--metrics-port",
        Kind.WHOLE,
        None,
        "Serve Prometheus metrics at http://127.0.0.1:PORT/metrics while the run goes"
        " (loopback only; 0: any free port, said on stderr)",
        low=0,
        high=limits.MAX_PORT,
        panel=_OUTPUT,
    ),
    Setting(
        "--metrics-file",
        Kind.PATH,
        None,
        "Write the run's final metrics to this file in node_exporter's textfile format (out.prom)",
        panel=_OUTPUT,
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
