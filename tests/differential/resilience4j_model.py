"""A small reference model of Resilience4j's count-based circuit breaker.

Written from its documentation, https://resilience4j.readme.io/docs/circuitbreaker
(sections "Count-based sliding window", "Failure rate and slow call rate thresholds",
"Create and configure a CircuitBreaker"), and the javadoc of `CircuitBreakerConfig.Builder`
for the settings (quoted below):

- `slidingWindowSize`: the outcomes of the last N calls, recorded while CLOSED.
- `failureRateThreshold`, `slowCallRateThreshold`: "If the failure rate is equal to or
  greater than the threshold, the CircuitBreaker transitions to open"; a call is slow
  "when the call duration is greater than" `slowCallDurationThreshold`.
- `minimumNumberOfCalls`: "If only 9 calls have been recorded, the CircuitBreaker will not
  transition to open, even if all 9 calls have failed."
- `waitDurationInOpenState`: "how long the CircuitBreaker should stay open, before it
  switches to half open".
- `permittedNumberOfCallsInHalfOpenState`: the calls let through while half open; the
  others are refused until they have completed, and then their failure rate (or slow-call
  rate) decides: at or over the threshold, OPEN again; below, CLOSED.
- `maxWaitDurationInHalfOpenState`: "how long the CircuitBreaker should stay in Half Open
  state, before it switches to open"; 0 (the default) means no limit.
- `transitionToForcedOpenState()` refuses everything; `reset()` is a fresh CLOSED breaker.

Where the documentation leaves a detail open, the model follows the source,
`resilience4j-circuitbreaker/.../internal/CircuitBreakerStateMachine.java` and
`CircuitBreakerMetrics.java` (read at commit af9e7c9, May 2026):

- OPEN moves to HALF_OPEN in `tryAcquirePermission` when `clock.instant().isAfter(...)`:
  strictly after the wait (automatic transition is off by default), and `getState()`
  changes nothing.
- HALF_OPEN records its probes in a window of `permittedNumberOfCallsInHalfOpenState`
  calls with a minimum of `min(minimumNumberOfCalls, permitted)` calls.
- The half-open maximum wait is a timer scheduled when the HALF_OPEN state is created,
  that is by the first permission asked after the open wait.
- A released permission in HALF_OPEN gives its permit back; nothing else changes.
- Rates are `failed * 100 / calls` in percent, compared with `>=`.

Only what the differential tests use is modelled: the count-based window, every failure
recorded, no wait-interval function, no automatic transition.
"""

from __future__ import annotations

from collections import deque
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


class State(Enum):
    """Resilience4j's states, spelt as ours so that they compare by value."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"
    FORCED_OPEN = "forced_open"


class _Metrics:
    """A count-based ring of (failed, slow) outcomes with a minimum number of calls."""

    def __init__(self, size: int, minimum: int, model: Resilience4jBreaker) -> None:
        self.outcomes: deque[tuple[bool, bool]] = deque(maxlen=size)
        self.minimum = minimum
        self.model = model

    def record(self, duration: float, failed: bool) -> str:
        """Record one outcome; return 'below_minimum', 'exceeded' or 'below_thresholds'."""
        self.outcomes.append((failed, duration > self.model.slow_call_duration_threshold))
        calls = len(self.outcomes)
        if calls == 0 or calls < self.minimum:
            return "below_minimum"
        failure_rate = sum(f for f, _ in self.outcomes) * 100.0 / calls
        slow_rate = sum(s for _, s in self.outcomes) * 100.0 / calls
        if (
            failure_rate >= self.model.failure_rate_threshold
            or slow_rate >= self.model.slow_call_rate_threshold
        ):
            return "exceeded"
        return "below_thresholds"


class Resilience4jBreaker:
    """CircuitBreakerStateMachine with a COUNT_BASED window, on an injected clock."""

    def __init__(
        self,
        *,
        failure_rate_threshold: float,
        slow_call_rate_threshold: float,
        slow_call_duration_threshold: float,
        sliding_window_size: int,
        minimum_number_of_calls: int,
        permitted_number_of_calls_in_half_open_state: int,
        wait_duration_in_open_state: float,
        max_wait_duration_in_half_open_state: float,
        clock: Callable[[], float],
    ) -> None:
        self.failure_rate_threshold = failure_rate_threshold  # percent
        self.slow_call_rate_threshold = slow_call_rate_threshold  # percent
        self.slow_call_duration_threshold = slow_call_duration_threshold
        self.sliding_window_size = sliding_window_size
        self.minimum_number_of_calls = minimum_number_of_calls
        self.permitted = permitted_number_of_calls_in_half_open_state
        self.wait_duration_in_open_state = wait_duration_in_open_state
        self.max_wait_in_half_open = max_wait_duration_in_half_open_state  # 0: forever
        self.clock = clock
        self.transition_to_closed_state()

    # -- the scheduler: the half-open maximum wait fires at its time --------------------

    def _run_timers(self) -> None:
        due = self._half_open_timer
        if self._state is State.HALF_OPEN and due is not None and self.clock() >= due:
            self._to_open(at=due)

    # -- transitions, as the public API names them ----------------------------------------

    def transition_to_closed_state(self) -> None:
        """A fresh CLOSED state with an empty window (also what `reset()` does)."""
        self._state = State.CLOSED
        self._metrics = _Metrics(
            self.sliding_window_size,
            min(self.minimum_number_of_calls, self.sliding_window_size),
            self,
        )
        self._half_open_timer: float | None = None

    def transition_to_open_state(self) -> None:
        """OPEN now, for waitDurationInOpenState."""
        self._to_open(at=self.clock())

    def transition_to_half_open_state(self) -> None:
        """A fresh HALF_OPEN state: all permits, an empty probe window, the timer started."""
        self._state = State.HALF_OPEN
        self._permits = self.permitted
        self._metrics = _Metrics(
            self.permitted, min(self.minimum_number_of_calls, self.permitted), self
        )
        wait = self.max_wait_in_half_open
        self._half_open_timer = self.clock() + wait if wait > 0 else None

    def transition_to_forced_open_state(self) -> None:
        """Reject everything until a reset or another transition."""
        self._state = State.FORCED_OPEN
        self._half_open_timer = None

    def reset(self) -> None:
        """Back to a fresh CLOSED breaker."""
        self.transition_to_closed_state()

    def _to_open(self, *, at: float) -> None:
        self._state = State.OPEN
        self._retry_after = at + self.wait_duration_in_open_state
        self._half_open_timer = None

    # -- the call path ----------------------------------------------------------------------

    def get_state(self) -> State:
        """The state; a look changes nothing (timers that fell due have fired)."""
        self._run_timers()
        return self._state

    @property
    def retry_after(self) -> float:
        """When an OPEN breaker may half-open: the first instant strictly after this."""
        return self._retry_after

    def try_acquire_permission(self) -> bool:
        """Whether a call may go now."""
        self._run_timers()
        if self._state is State.CLOSED:
            return True
        if self._state is State.OPEN:
            if self.clock() > self._retry_after:  # isAfter: strictly after
                self.transition_to_half_open_state()
            else:
                return False
        if self._state is State.HALF_OPEN:
            if self._permits > 0:
                self._permits -= 1
                return True
            return False
        return False  # FORCED_OPEN

    def release_permission(self) -> None:
        """A permitted call that did not run gives its permit back (HALF_OPEN only)."""
        if self._state is State.HALF_OPEN:
            self._permits += 1

    def on_success(self, duration: float) -> None:
        """A permitted call succeeded after `duration` seconds."""
        self._on_result(duration, failed=False)

    def on_error(self, duration: float) -> None:
        """A permitted call failed after `duration` seconds."""
        self._on_result(duration, failed=True)

    def _on_result(self, duration: float, *, failed: bool) -> None:
        self._run_timers()
        result = self._metrics.record(duration, failed)
        if self._state is State.CLOSED and result == "exceeded":
            self.transition_to_open_state()
        elif self._state is State.HALF_OPEN:
            if result == "exceeded":
                self.transition_to_open_state()
            elif result == "below_thresholds":
                self.transition_to_closed_state()
        # OPEN and FORCED_OPEN record a late result and change nothing.
