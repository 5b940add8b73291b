"""The proxy's faults as a value, and the pure decision of what happens to one request.

A `FaultProfile` says, for each fault (toxiproxy's toxics, per request), how strong it is
and with what probability it strikes: added latency with jitter, an error status, a
connection reset, a black hole (nothing answers: the client's timeout is the only way
out), a bandwidth limit on the answer, and a slow first byte. `decide(profile, rng)`
draws one request's `Fate` from it with a seeded `random.Random`: the same seed and the
same profiles give the same fates, in the same order.

Every decision draws the same seven numbers, whatever the profile, so a change of faults
between steps (or a fault phase over time) does not shift the draws that follow.

The profile is what the proxy, its control endpoint, `upstream faults`, a scenario's
`faults:` step and the in-process transport of virtual time all speak. Fault phases over
time (`upstream proxy --phase`, the grammar of `resilience_cli/faults.py`) map onto it,
one profile a phase (`profile_of`): the `FaultSwitch` reads its schedule against the
clock it is given, and a profile set by hand holds over the schedule until cleared, as
`upstream serve --phase` and `upstream fault` do. Pure but for that clock: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from resilience_cli.limits import MAX_BANDWIDTH, MAX_SECONDS

if TYPE_CHECKING:
    import random
    from collections.abc import Callable, Mapping

    from resilience_cli.faults import Fault, Schedule

LOWEST_STATUS: Final = 200
HIGHEST_STATUS: Final = 599


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must be {low:g} to {high:g}, got {value}")


def _at(rate: float) -> str:
    return "" if rate >= 1 else f" at {rate:.0%}"


class Action(StrEnum):
    """What the proxy does with a request."""

    PASS = "pass"  # noqa: S105 - forwarded, maybe slowed down (not a password)
    STATUS = "status"  # answered by the proxy with an error status
    RESET = "reset"  # the connection is reset
    BLACK_HOLE = "black_hole"  # held: no answer, ever


@dataclass(frozen=True, slots=True)
class FaultProfile:
    """Each fault's strength and the probability (0 to 1) that it strikes a request.

    Attributes:
        latency: Seconds added before the request goes on.
        jitter: Seconds the latency varies by, up and down (uniform).
        latency_rate: Probability of the latency.
        status: The status the proxy answers with instead of the upstream (0: none).
        status_rate: Probability of that answer.
        reset_rate: Probability that the connection is reset.
        black_hole_rate: Probability that nothing answers (a timeout for the client).
        bandwidth: Bytes per second the answer is sent at (0: no limit).
        bandwidth_rate: Probability of the limit.
        first_byte: Seconds before the answer's first byte reaches the client.
        first_byte_rate: Probability of that wait.
    """

    latency: float = 0.0
    jitter: float = 0.0
    latency_rate: float = 1.0
    status: int = 0
    status_rate: float = 1.0
    reset_rate: float = 0.0
    black_hole_rate: float = 0.0
    bandwidth: float = 0.0
    bandwidth_rate: float = 1.0
    first_byte: float = 0.0
    first_byte_rate: float = 1.0

    def __post_init__(self) -> None:
        for name in ("latency", "jitter", "first_byte"):
            _check_range(name, getattr(self, name), 0, MAX_SECONDS)
        _check_range("bandwidth", self.bandwidth, 0, MAX_BANDWIDTH)
        for name in ("latency_rate", "status_rate", "reset_rate", "black_hole_rate"):
            _check_range(name, getattr(self, name), 0, 1)
        for name in ("bandwidth_rate", "first_byte_rate"):
            _check_range(name, getattr(self, name), 0, 1)
        if self.status and not LOWEST_STATUS <= self.status <= HIGHEST_STATUS:
            raise ValueError(
                f"status must be {LOWEST_STATUS} to {HIGHEST_STATUS} (or 0: none),"
                f" got {self.status}"
            )

    @property
    def healthy(self) -> bool:
        """Whether no fault can strike: every request passes untouched."""
        return self == HEALTHY or not any(
            (
                self.latency and self.latency_rate,
                self.jitter and self.latency_rate,
                self.status and self.status_rate,
                self.reset_rate,
                self.black_hole_rate,
                self.bandwidth and self.bandwidth_rate,
                self.first_byte and self.first_byte_rate,
            )
        )

    def to_dict(self) -> dict[str, float | int]:
        """The profile as JSON-able data, every field present."""
        return asdict(self)

    def describe(self) -> str:
        """One line for people: `status 503 at 30%, latency 0.2 s ± 0.05 s`; or `healthy`."""
        parts: list[str] = []
        if self.latency or self.jitter:
            jitter = f" ± {self.jitter:g} s" if self.jitter else ""
            parts.append(f"latency {self.latency:g} s{jitter}{_at(self.latency_rate)}")
        if self.status:
            parts.append(f"status {self.status}{_at(self.status_rate)}")
        if self.reset_rate:
            parts.append(f"reset{_at(self.reset_rate)}")
        if self.black_hole_rate:
            parts.append(f"black hole{_at(self.black_hole_rate)}")
        if self.bandwidth:
            parts.append(f"bandwidth {self.bandwidth:g} B/s{_at(self.bandwidth_rate)}")
        if self.first_byte:
            parts.append(f"first byte after {self.first_byte:g} s{_at(self.first_byte_rate)}")
        return ", ".join(parts) if parts and not self.healthy else "healthy"


HEALTHY: Final = FaultProfile()
FIELDS: Final = tuple(f.name for f in fields(FaultProfile))


@dataclass(frozen=True, slots=True)
class Fate:
    """What happens to one request: its action, and how it is slowed when it passes."""

    action: Action = Action.PASS
    status: int = 0
    delay: float = 0.0
    first_byte: float = 0.0
    bandwidth: float = 0.0


PASS: Final = Fate()


class FaultSwitch:
    """The faults of this moment and the seeded draws, shared by who sets and who applies them.

    The proxy (or the in-process transport) decides each request from it; the control
    endpoint, `upstream faults` or a scenario's `faults:` step set `profile`. One switch
    lives as long as a scenario run, so its proxies, one a step, draw one sequence.

    Given a schedule of fault phases, the faults of this moment are its phase's, timed
    from `start()` (healthy before), unless a profile was set by hand: that one holds over
    the schedule until `clear()`. Without a schedule, `clear()` heals.

    Args:
        profile: The faults at start, as if set by hand (healthy: none set).
        seed: Seeds the draws.
        schedule: Fault phases, each mapped onto a profile by `profile_of`.
        clock: Monotonic seconds the schedule is read against; needed with a schedule.
    """

    __slots__ = ("_clock", "_override", "_profiles", "_schedule", "_started", "fates", "rng")

    def __init__(
        self,
        profile: FaultProfile = HEALTHY,
        seed: int = 0,
        *,
        schedule: Schedule | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        import random  # noqa: PLC0415 - only where faults are applied

        if schedule and clock is None:
            raise ValueError("fault phases need a clock to be read against")
        self._override: FaultProfile | None = None if profile == HEALTHY else profile
        self._schedule = schedule
        # One profile a phase, made once: a request costs a lookup, not a new profile.
        self._profiles = {p.fault: profile_of(p.fault) for p in schedule.phases} if schedule else {}
        self._clock = clock
        self._started: float | None = None
        self.rng = random.Random(seed)
        self.fates: dict[Action, int] = dict.fromkeys(Action, 0)

    @property
    def profile(self) -> FaultProfile:
        """The faults of this moment: set by hand, else the schedule's (healthy without one)."""
        if self._override is not None:
            return self._override
        elapsed = self.elapsed
        if elapsed is None or self._schedule is None:
            return HEALTHY
        return self._profiles.get(self._schedule.fault_at(elapsed), HEALTHY)

    @profile.setter
    def profile(self, profile: FaultProfile) -> None:
        self._override = profile

    @property
    def schedule(self) -> Schedule | None:
        """The fault phases, if any."""
        return self._schedule

    @property
    def source(self) -> str:
        """Where the faults of this moment come from: `set` by hand, the `schedule`, or `none`."""
        if self._override is not None:
            return "set"
        return "schedule" if self._schedule else "none"

    @property
    def elapsed(self) -> float | None:
        """Seconds since the schedule started, or None (not started, or no schedule)."""
        if self._started is None or self._clock is None:
            return None
        return self._clock() - self._started

    def start(self) -> None:
        """Time zero of the schedule is now; later calls keep the first (one run, one time)."""
        if self._started is None and self._clock is not None:
            self._started = self._clock()

    def clear(self) -> None:
        """Drop the profile set by hand: back to the schedule, or healthy without one."""
        self._override = None

    def decide(self) -> Fate:
        """The next request's fate, under the faults of this moment (and counted)."""
        fate = decide(self.profile, self.rng)
        self.fates[fate.action] += 1
        return fate


def profile_of(fault: Fault) -> FaultProfile:
    """A fault phase's fault as the proxy's profile: a status is `--error`, a delay `--latency`.

    `status=503@0.3` answers 503 to 30 % of requests; `delay=2s@0.5` adds 2 s to half of
    them; `healthy` is no fault. The proxy's own rule decides a request that meets both:
    a status it answers itself is not delayed first (the upstream, unlike it, waits and
    then fails).
    """
    if fault.healthy:
        return HEALTHY
    status = fault.status if fault.status is not None and fault.status_chance else 0
    delay = fault.delay if fault.delay_chance else 0.0
    return FaultProfile(
        latency=delay,
        latency_rate=fault.delay_chance if delay else 1.0,
        status=status,
        status_rate=fault.status_chance if status else 1.0,
    )


def decide(profile: FaultProfile, rng: random.Random) -> Fate:
    """One request's fate under `profile`: reset, black hole, status, else pass.

    Seven numbers are drawn every time, in a fixed order, so the draws that follow do
    not depend on the profile.
    """
    draw = rng.random
    reset, hole, status, latency, jitter, first_byte, bandwidth = (
        draw(),
        draw(),
        draw(),
        draw(),
        draw(),
        draw(),
        draw(),
    )
    if reset < profile.reset_rate:
        return Fate(Action.RESET)
    if hole < profile.black_hole_rate:
        return Fate(Action.BLACK_HOLE)
    if profile.status and status < profile.status_rate:
        return Fate(Action.STATUS, status=profile.status)
    delay = 0.0
    if latency < profile.latency_rate:
        delay = max(0.0, profile.latency + profile.jitter * (2 * jitter - 1))
    wait = profile.first_byte if first_byte < profile.first_byte_rate else 0.0
    limit = profile.bandwidth if bandwidth < profile.bandwidth_rate else 0.0
    if not (delay or wait or limit):
        return PASS
    return Fate(Action.PASS, delay=delay, first_byte=wait, bandwidth=limit)


def profile_from(data: Mapping[str, object], base: FaultProfile = HEALTHY) -> FaultProfile:
    """A profile from JSON-like data (the control endpoint's body): unknown keys refused.

    Keys left out keep `base`'s values. Raises ValueError naming the bad key.
    """
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown fault {unknown[0]!r}; expected one of {', '.join(FIELDS)}")
    values: dict[str, float | int] = dict(base.to_dict())
    for key, given in data.items():
        if isinstance(given, bool) or not isinstance(given, int | float):
            raise ValueError(f"{key} must be a number, got {given!r}")  # noqa: TRY004 - a 400
        if key == "status" and not float(given).is_integer():
            raise ValueError(f"status must be a whole number, got {given!r}")
        values[key] = int(given) if key == "status" else given
    return FaultProfile(**values)  # type: ignore[arg-type]  # checked key by key above
