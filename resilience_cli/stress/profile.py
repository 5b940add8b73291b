"""The arrival schedule of a stress run: a constant rate, or stages that ramp it (k6's way).

`--arrival-rate 100 --duration 30s` is k6's constant-arrival-rate: arrivals at 0, 1/100,
2/100, ... seconds, 3,000 in all. `--stages 10s:50,20s:200,10s:0` is k6's
ramping-arrival-rate: the rate moves in a straight line from where it is to each
stage's target over the stage's duration, starting from `--arrival-rate` (0 when not
given). The n-th arrival (from 0) comes at the moment the rate's integral reaches n, so
a ramp spaces its arrivals as it speeds up, and the count over any span is the integral
of the rate over it, give or take one.

Arrivals are times on the run's clock, decided before the run and never by responses:
a slow upstream cannot slow the load (open-loop).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from resilience_cli.limits import MAX_ARRIVAL_RATE, MAX_CALLS, MAX_SECONDS

if TYPE_CHECKING:
    from collections.abc import Iterator

_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(ms|s|m)?", re.ASCII)
_RATE: Final = re.compile(r"\d+(?:\.\d+)?|\.\d+", re.ASCII)
# Below this many arrivals, a float integral is counted as the whole number it is meant to
# be: 100/s for 30 s comes to 3000.0000000000005, which is 3,000 arrivals, not 3,001.
_SLACK: Final = 1e-6


@dataclass(frozen=True, slots=True)
class Stage:
    """Ramp the rate in a straight line to `target` arrivals per second over `duration`."""

    duration: float
    target: float


@dataclass(frozen=True, slots=True)
class LoadProfile:
    """The arrival rate over a run: it starts at `start_rate` and follows the stages."""

    start_rate: float
    stages: tuple[Stage, ...]

    @classmethod
    def constant(cls, rate: float, duration: float) -> LoadProfile:
        """`rate` arrivals per second for `duration` seconds."""
        return cls(rate, (Stage(duration, rate),))

    @property
    def duration(self) -> float:
        """Seconds from the first arrival's time (0) to the end of the last stage."""
        return math.fsum(stage.duration for stage in self.stages)

    def rate_at(self, seconds: float) -> float:
        """The target arrival rate `seconds` into the run (0 after the last stage)."""
        start, rate = 0.0, self.start_rate
        for stage in self.stages:
            if seconds < start + stage.duration:
                share = (seconds - start) / stage.duration
                return rate + (stage.target - rate) * share
            start, rate = start + stage.duration, stage.target
        return 0.0

    @property
    def total(self) -> float:
        """The rate's integral over the whole run: the arrivals it schedules, as a number."""
        total, rate = 0.0, self.start_rate
        for stage in self.stages:
            total += (rate + stage.target) / 2 * stage.duration
            rate = stage.target
        return total

    @property
    def arrival_count(self) -> int:
        """How many arrivals `arrivals()` yields."""
        return max(0, math.ceil(self.total - _SLACK))

    def arrivals(self) -> Iterator[float]:
        """The arrival times, in seconds from the start, in order."""
        count = self.arrival_count
        number = 0
        begun, done, rate = 0.0, 0.0, self.start_rate
        for stage in self.stages:
            length, target = stage.duration, stage.target
            area = (rate + target) / 2 * length
            # Within the stage the rate is rate + slope * t, its integral rate*t + slope*t²/2.
            slope = (target - rate) / length if length else 0.0
            while number < count and number - done < area - _SLACK:
                yield begun + _time_for(number - done, rate, slope)
                number += 1
            begun, done, rate = begun + length, done + area, target


def _time_for(amount: float, rate: float, slope: float) -> float:
    """The t at which `rate * t + slope * t**2 / 2` reaches `amount` (>= 0)."""
    if amount <= 0:
        return 0.0
    # The root that does not cancel: 2a / (r + sqrt(r² + 2·slope·a)).
    discriminant = max(0.0, rate * rate + 2 * slope * amount)
    return 2 * amount / (rate + math.sqrt(discriminant))


def parse_stages(text: str, start_rate: float = 0.0) -> LoadProfile:
    """`10s:50,20s:200,10s:0` (k6's stages: duration:target) as a profile.

    Raises:
        ValueError: One line naming the stage that is wrong.
    """
    stages = []
    for item in text.split(","):
        duration_text, colon, target_text = item.strip().partition(":")
        if not colon:
            raise ValueError(f"{item.strip()!r} must be DURATION:RATE, e.g. 10s:50")
        stages.append(
            Stage(
                parse_duration(duration_text, f"the duration of {item.strip()!r}"),
                _rate(target_text, item),
            )
        )
    profile = LoadProfile(start_rate, tuple(stages))
    check_profile(profile)
    return profile


def check_profile(profile: LoadProfile) -> None:
    """Refuse a profile no run should attempt: longer than a day, or too many arrivals."""
    if profile.duration > MAX_SECONDS:
        raise ValueError(
            f"the stages last {profile.duration:g} s; at most {MAX_SECONDS:.0f} (a day)"
        )
    if profile.duration <= 0:
        raise ValueError("the run must last longer than 0 s")
    if profile.total > MAX_CALLS:
        raise ValueError(
            f"that schedules {profile.total:,.0f} arrivals; a run makes at most {MAX_CALLS:,}"
        )


def parse_duration(text: str, what: str = "the duration") -> float:
    """`10s`, `500ms`, `1.5m` or a number of seconds, above 0 and at most a day.

    Raises:
        ValueError: One line that says what `what` must be.
    """
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{what} must be like 10s, 500ms, 1.5m or a number of seconds")
    number, unit = float(match[1]), match[2]
    seconds = number / 1000 if unit == "ms" else number * (60 if unit == "m" else 1)
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"{what} must be above 0 and at most {MAX_SECONDS:.0f} s (a day)")
    return seconds


def _rate(text: str, item: str) -> float:
    cleaned = text.strip().removesuffix("/s")
    if not _RATE.fullmatch(cleaned) or float(cleaned) > MAX_ARRIVAL_RATE:
        raise ValueError(
            f"the rate of {item.strip()!r} must be a number of arrivals per second,"
            f" 0 to {MAX_ARRIVAL_RATE:,.0f}"
        )
    return float(cleaned)
