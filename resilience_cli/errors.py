"""The one error tree of resilience-cli.

Every error the project raises on purpose derives from `ResilienceError` and carries the
exit code the command line maps it to (see the README, "Exit codes")::

    ResilienceError (3: internal or infrastructure)
    ├── UsageError (2: bad flag or input)
    │   ├── ConfigError           a policy value makes no sense; names the field
    │   ├── SnapshotError         a persisted breaker snapshot is corrupt or foreign
    │   ├── StateFileError        the state file is unreadable, not JSON, foreign or newer
    │   ├── ScenarioError         a scenario file's problems, each at file:line:col
    │   │                         (scenarios/yaml_nodes.py)
    │   └── ThresholdError        an expectation that does not parse, with its column
    │                             (scenarios/thresholds/_value.py)
    ├── StateStoreError           the state store failed: disk full, I/O error, ...
    │   └── StateLockTimeoutError another process held the state lock past the timeout
    └── CallRejectedError         a pattern refused a call without running it (never exits)
        ├── CircuitOpenError      the breaker is OPEN, FORCED_OPEN, or out of half-open probes
        ├── BulkheadFullError     no slot free and the queue is full or the wait ran out
        └── RateLimitedError      no token within max_wait

The two scenario errors live beside the code that finds them, so that this module stays
free of YAML and of the threshold grammar. Outside the tree, on purpose:
`AttemptTimeoutError` (a `TimeoutError`, caught by the pipeline as a timed-out attempt)
and the upstream's `ClientGoneError` (a `ConnectionError`, the server's own business).

Rejections are not failures of the tool: the pipeline turns them into fallbacks and they
never reach the user as errors. Their `reason` is the word used in every report.
"""

from __future__ import annotations

import errno
from typing import ClassVar, Final

EXIT_OK = 0
EXIT_EXPECTATION_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130

# An OSError with one of these errnos is about the path the user chose (exit 2: check the
# path), not about the machine (a full disk, an I/O error).
PATH_ERRNOS: Final = frozenset(
    {
        errno.EACCES,
        errno.EEXIST,
        errno.EISDIR,
        errno.ELOOP,
        errno.ENAMETOOLONG,
        errno.ENOENT,
        errno.ENOTDIR,
        errno.EPERM,
        errno.EROFS,
    }
)


class ResilienceError(Exception):
    """Root of every error resilience-cli raises on purpose."""

    exit_code: ClassVar[int] = EXIT_INTERNAL


class UsageError(ResilienceError):
    """The user gave something we cannot use: a flag, a file, a value."""

    exit_code: ClassVar[int] = EXIT_USAGE


class ConfigError(UsageError):
    """A policy value is out of range. The message names the field and the value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class SnapshotError(UsageError):
    """A breaker snapshot cannot be restored: it is corrupt, foreign or of a newer format."""


class CallRejectedError(ResilienceError):
    """A pattern refused a call before it ran. `reason` names the pattern's refusal."""

    reason: ClassVar[str] = "rejected"


class CircuitOpenError(CallRejectedError):
    """The breaker refused the call: it is open, forced open, or has no half-open probe left."""

    reason: ClassVar[str] = "breaker_open"

    def __init__(self, state: str, retry_in: float | None) -> None:
        hint = "" if retry_in is None else f"; half-open in {retry_in:.1f}s"
        super().__init__(f"circuit {state}{hint}")
        self.state = state
        self.retry_in = retry_in


class BulkheadFullError(CallRejectedError):
    """The bulkhead had no free slot and could not queue the call (or its wait ran out)."""

    reason: ClassVar[str] = "bulkhead_full"


class RateLimitedError(CallRejectedError):
    """The rate limiter had no token within the caller's maximum wait."""

    reason: ClassVar[str] = "rate_limited"

    def __init__(self, wait_needed: float, max_wait: float) -> None:
        super().__init__(f"next token in {wait_needed:.3f}s > max_wait {max_wait:.3f}s")
        self.wait_needed = wait_needed
        self.max_wait = max_wait


class StateFileError(UsageError):
    """The breaker state file cannot be used: unreadable, not JSON, foreign or of a newer schema.

    The message is one line: the path, what is wrong with it, and the way out. The file
    itself is left exactly as it was. `replaceable` says whether `resilience reset` may
    replace it: only a file that is recognisably ours, or a corrupt one in our own folder.
    """

    def __init__(self, path: str, problem: str, remedy: str, *, replaceable: bool = False) -> None:
        super().__init__(f"state file {path} {problem}; {remedy}")
        self.path = path
        self.problem = problem
        self.replaceable = replaceable


class StateStoreError(ResilienceError):
    """The state store failed for a reason outside the user's input (disk full, I/O error)."""


class StateLockTimeoutError(StateStoreError):
    """Another process held the state store's lock for longer than the lock timeout."""

    def __init__(self, lock_path: str, timeout: float) -> None:
        super().__init__(
            f"state lock {lock_path} is still held by another resilience command after"
            f" {timeout:g}s (a run holds it until it ends); wait for it or raise --lock-timeout"
        )
        self.lock_path = lock_path
        self.timeout = timeout
