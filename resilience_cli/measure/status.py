"""How a scenario step and a whole scenario ended: the words every report shows.

The runner decides them and the reports render them, so they live here, beside both:
reports compare against these members, never against their spelling.
"""

from __future__ import annotations

from enum import StrEnum


class StepStatus(StrEnum):
    """How a step ended."""

    PASSED = "passed"  # ran; every strict expectation held
    FAILED = "failed"  # ran; a strict expectation failed
    SKIPPED = "skipped"  # not run: an earlier expectation aborted the run, or Ctrl-C
    INTERRUPTED = "interrupted"  # Ctrl-C arrived while it ran
    ERROR = "error"  # it could not run: the state file or its lock failed


class RunStatus(StrEnum):
    """How the whole scenario ended."""

    PASSED = "passed"
    FAILED = "failed"
    ABORTED = "aborted"  # an `abort_on_fail` expectation failed
    INTERRUPTED = "interrupted"
    ERROR = "error"  # a step could not run (exit code of its error, e.g. 3)
