"""The largest values resilience-cli accepts, wherever a user can write a number.

Every number a user types (a flag, a scenario key, a threshold, a weight) or a file holds
(the state file) has bounds, so that a careless or hostile value gets a one-line error
instead of an overflow, a hang or a run that eats the machine. Each bound is far beyond
what a classroom demo or a CI smoke job needs; the README lists them.
"""

from typing import Final

MAX_SECONDS: Final = 86_400.0
"""Every duration: timeouts, backoff, waits, open windows, pauses, `--seconds`: a day."""

MAX_CALLS: Final = 100_000_000
"""`-n`, a step's `count`, and a stress run's arrivals. Neither memory nor the log grows
with calls any more (durations go into a fixed-size histogram, repeated decisions are
summed up once a second, and the log rotates), so the bound is one of time: at the
10,000 to 15,000 calls a second a virtual-time run makes here, 10**8 calls take hours."""

MAX_CONCURRENCY: Final = 1_000
"""`-c` and `concurrency`; a run also never offers more calls at once than it makes."""

MAX_ARRIVAL_RATE: Final = 100_000.0
"""A stress run's arrivals per second: far past what one process sends (thousands)."""

MAX_IN_FLIGHT: Final = 100_000
"""A stress run's `--max-in-flight`: each call in flight is a task of a few KB."""

MIN_INTERVAL: Final = 0.1
"""A stress run's `--interval`: the live view looks ten times a second at most."""

MAX_INTERVALS: Final = 100_000
"""Rows in a stress run's series (duration / interval): a row is a few hundred bytes."""

MAX_PORT: Final = 65_535
"""`--metrics-port`: the highest TCP port."""

MAX_SEED: Final = 2**63 - 1
"""Seeds are 0 to 2**63 - 1."""

MAX_ATTEMPTS: Final = 100
"""`retry.attempts`, the first call included."""

MAX_COUNT: Final = 1_000_000
"""Other counts: burst, bulkhead slots and queue, consecutive failures."""

MAX_WINDOW: Final = 10_000
"""The breaker's window, minimum calls and half-open probes; the window is saved in the
state file, one character per call."""

MAX_RATE: Final = 1_000_000.0
"""Tokens per second."""

MAX_WEIGHT: Final = 1_000_000.0
"""One weight in `--mix` or `/status/200:0.7,500:0.3`."""

MAX_THRESHOLD: Final = 10**15
"""A number in an expectation (`count >= 10`, `p(95) < 300ms`): below 2**53, so exact."""

MAX_SCENARIO_BYTES: Final = 1024 * 1024
"""A scenario file: 1 MiB (the shipped ones are about 2 KB)."""

MAX_STEPS: Final = 1_000
"""Steps in `steps`, and again in `finally`."""

MAX_STORED_COUNT: Final = 2**63 - 1
"""A count in the state file (consecutive failures, probes that succeeded)."""

MAX_LOG_LINES: Final = 1_000_000
"""`resilience logs -n`."""

MAX_BODY_BYTES: Final = 1024 * 1024
"""A request body (`--data`, `--data-json`, a scenario request's `body` or `json`): 1 MiB,
what the embedded upstream accepts."""

MAX_REQUESTS: Final = 1_000
"""Entries in a scenario's `requests:`."""

MAX_PHASES: Final = 1_000
"""Fault phases in a scenario's stress step."""

MAX_BANDWIDTH: Final = 1_000_000_000.0
"""The proxy's bandwidth fault, bytes per second."""

MAX_HEAD_BYTES: Final = 64 * 1024
"""A request head the proxy reads (request line and headers): 64 KiB, as h11's default."""

MAX_BREAKER_NAME: Final = 64
"""`--breaker NAME`: letters, digits, `_`, `.` and `-`, as part of the store's keys."""

MIN_WATCH_INTERVAL: Final = 0.1
"""`state --watch --interval`: at most ten looks a second at the store."""

MAX_TRACE_RECORDS: Final = 2_000_000
"""Events in a trace (`--record`, and what `compare` reads): about 160 MB of JSON lines,
some 80 minutes of arrivals and answers at 100 calls a second with retries."""

MIN_LOG_BYTES: Final = 4096
"""`--log-max-bytes`: at least a page, so that a rotated file holds a few lines."""

MAX_LOG_BYTES: Final = 2**40
"""`--log-max-bytes`: a TiB."""

MAX_LOG_BACKUPS: Final = 100
"""`--log-backups`."""
