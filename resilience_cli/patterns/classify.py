"""Which results and exceptions count as failures, and which of those may be retried."""

from __future__ import annotations

from typing import Protocol, TypeVar

from resilience_cli.errors import CallRejectedError
from resilience_cli.patterns.outcome import Failure, Reason

T_contra = TypeVar("T_contra", contravariant=True)


class Classifier(Protocol[T_contra]):
    """Decides what an attempt's result or exception means for the breaker and the retry."""

    def result(self, value: T_contra, /) -> Failure | None:
        """A failure for a result that is one (an HTTP 503, say), else None."""
        ...

    def error(self, error: Exception, /) -> Failure:
        """The failure an exception stands for."""
        ...

    def timed_out(self, failure: Failure, /) -> Failure:
        """What the attempt's own timeout (`failure`, reason `timeout`) counts as."""
        ...


class DefaultClassifier:
    """Results always succeed; timeouts and connection errors are retryable failures."""

    __slots__ = ()

    def result(self, value: object, /) -> Failure | None:
        """Every result is a success."""
        del value
        return None

    def error(self, error: Exception, /) -> Failure:
        """Timeouts and connection errors may be retried; anything else may not."""
        if isinstance(error, CallRejectedError):
            return Failure(Reason(error.reason), retryable=False, detail=str(error))
        if isinstance(error, TimeoutError):
            return Failure(Reason.TIMEOUT, retryable=True, detail=type(error).__name__)
        if isinstance(error, ConnectionError):
            return Failure(Reason.CONNECT_ERROR, retryable=True, detail=type(error).__name__)
        return Failure(Reason.ERROR, retryable=False, detail=f"{type(error).__name__}: {error}")

    def timed_out(self, failure: Failure, /) -> Failure:
        """An attempt timeout is a retryable failure, as the pipeline made it."""
        return failure
