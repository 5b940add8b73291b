"""The policy defaults that the command line and scenario files share.

Tuned so that a classroom demo shows each pattern within a few dozen calls;
docs/patterns.md lists them beside the library's own and the anchors'. Kept in one
place so that a flag and the scenario key it matches can never disagree.
"""

from pathlib import Path
from typing import Final

LOG_FILE: Final = Path("logs/app.log")  # the decision log, relative to the working folder
LOCK_TIMEOUT: Final = 10.0  # seconds a command waits for another one's state lock
LOG_MAX_BYTES: Final = 10 * 1024 * 1024  # the log rotates before it passes 10 MiB
LOG_BACKUPS: Final = 3  # rotated logs kept: app.log.1 (the newest) to app.log.3

TIMEOUT_ATTEMPT: Final = 2.0  # the teaching demo's client timeout: /delay/3 times out
TIMEOUT_TOTAL: Final = 10.0
TIMEOUT_MIN_ATTEMPT: Final = 0.05  # an attempt left less of the deadline does not start
RETRY_ATTEMPTS: Final = 3
RETRY_BASE_DELAY: Final = 0.2
RETRY_MAX_DELAY: Final = 2.0
RETRY_MAX_RETRY_AFTER: Final = 60.0  # a longer Retry-After is not waited for
RATE: Final = 20.0
BURST: Final = 5
RATE_MAX_WAIT: Final = 2.0
MAX_CONCURRENT: Final = 5
MAX_QUEUE: Final = 50
QUEUE_MAX_WAIT: Final = 10.0
FAILURE_THRESHOLD: Final = 5  # so `error -n 20` opens it on the second call
FAILURE_RATE: Final = 0.5
WINDOW: Final = 20
MIN_CALLS: Final = 10
SLOW_RATE: Final = 1.0
OPEN_FOR: Final = 30.0  # long enough to show `state` and `invoke` while it is open
HALF_OPEN_PROBES: Final = 3
HALF_OPEN_MAX_WAIT: Final = 60.0

# The embedded upstream's limits under `upstream serve` (upstream/limits.py says what each
# bounds, and why these figures), with the range each flag accepts.
UPSTREAM_MAX_CONNECTIONS: Final = 512  # half a common open-file limit of 1024
UPSTREAM_MAX_CONNECTIONS_RANGE: Final = (1, 100_000)
UPSTREAM_IDLE_TIMEOUT: Final = 10.0  # above httpx's 5 s keep-alive expiry: no close race
UPSTREAM_IDLE_TIMEOUT_RANGE: Final = (0.01, 3600.0)
UPSTREAM_MAX_BODY: Final = 1024 * 1024  # /anything holds about three copies as it echoes
UPSTREAM_MAX_BODY_RANGE: Final = (0, 1024**3)

FAIL_ON: Final = "5xx,429,timeout,connect"
"""What counts as a failure unless `--fail-on` or a request's `ok_status` says otherwise."""
