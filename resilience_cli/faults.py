"""Fault phases: how an upstream misbehaves over time, as values and one pure function.

A `Fault` says what happens to a request: answered with a status at some probability,
delayed by some seconds at some probability, or nothing (healthy). A `Phase` starts a
fault at a time into the run, and a `Schedule` is the phases in order: before the first
phase, and wherever none says otherwise, the upstream is healthy. `draw` decides, for one
request and a seeded `random.Random`, what happens to it; `Schedule.effect` does so at a
time into the run. Nothing here knows HTTP, asyncio or any app: the embedded upstream
consults them before answering (`upstream/fault_control.py`), and a proxy can do the same.

The grammar, one for the `--phase` flag, a stress step's `phases:` and `resilience
upstream fault`::

    phase   = at ":" fault                     ; --phase 10s:status=500@0.6
    fault   = "healthy" | effect ("," effect)*  ; status=500@0.6,delay=3s@0.3
    effect  = "status=" code ["@" chance] | "delay=" duration ["@" chance]
    at      = duration                         ; 10s, 500ms, 1.5m, or seconds
    chance  = a number from 0 to 1 (1 when left out), or a percentage: 60%

A code is 200 to 599 (1xx are not final answers). A delay is at most a day, like any
duration. Durations are those of scenario files: ASCII digits, `ms`, `s` or `m`.

When a request meets both effects, it waits first, then answers with the status: a slow
error. The two draws are independent, so `status=500@0.6,delay=3s@0.3` delays 30 % of
requests and fails 60 %, 18 % both.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from resilience_cli.limits import MAX_SECONDS

if TYPE_CHECKING:
    import random
    from collections.abc import Iterable

LOWEST_STATUS: Final = 200
HIGHEST_STATUS: Final = 599
HEALTHY_WORD: Final = "healthy"
# The duration grammar of scenario files (`scenarios/durations.py`), with ASCII digits.
_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(ms|s|m)?", re.ASCII)
_NUMBER: Final = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(%)?", re.ASCII)
_CODE: Final = re.compile(r"\d{3}", re.ASCII)
_EXAMPLE: Final = "e.g. 10s:status=500@0.6, 25s:delay=3s@0.3 or 40s:healthy"


@dataclass(frozen=True, slots=True)
class Fault:
    """What an upstream does to requests: a status, a delay, each at a chance; or nothing."""

    status: int | None = None
    status_chance: float = 1.0
    delay: float = 0.0
    delay_chance: float = 1.0

    @property
    def healthy(self) -> bool:
        """Whether it changes nothing."""
        return (self.status is None or self.status_chance == 0) and (
            self.delay == 0 or self.delay_chance == 0
        )

    def __str__(self) -> str:
        """The fault in the grammar: `status=500@0.6,delay=3s@0.3`, or `healthy`."""
        if self.healthy:
            return HEALTHY_WORD
        parts = []
        if self.status is not None and self.status_chance:
            parts.append(f"status={self.status}{_chance_text(self.status_chance)}")
        if self.delay and self.delay_chance:
            parts.append(f"delay={_seconds_text(self.delay)}{_chance_text(self.delay_chance)}")
        return ",".join(parts)


HEALTHY: Final = Fault()


@dataclass(frozen=True, slots=True)
class Phase:
    """A fault that starts `at` seconds into the run and lasts until the next phase."""

    at: float
    fault: Fault

    def __str__(self) -> str:
        """`10s:status=500@0.6`."""
        return f"{_seconds_text(self.at)}:{self.fault}"


@dataclass(frozen=True, slots=True)
class Effect:
    """What happens to one request: wait `delay` seconds, then answer `status` (None: as usual)."""

    status: int | None = None
    delay: float = 0.0


NO_EFFECT: Final = Effect()


def draw(fault: Fault, rng: random.Random) -> Effect:
    """What `fault` does to one request, drawn from `rng`: the same rng, the same effects.

    A healthy fault draws nothing, so phases of health leave the rng where they found it.
    """
    delay = 0.0
    if fault.delay and fault.delay_chance and rng.random() < fault.delay_chance:
        delay = fault.delay
    status = None
    if fault.status is not None and fault.status_chance and rng.random() < fault.status_chance:
        status = fault.status
    return NO_EFFECT if status is None and not delay else Effect(status, delay)


@dataclass(frozen=True, slots=True)
class Schedule:
    """Phases in time order, no two at once; healthy before the first."""

    phases: tuple[Phase, ...] = ()
    _starts: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = tuple(phase.at for phase in self.phases)
        if list(starts) != sorted(set(starts)):
            raise ValueError("phases must be in time order, no two at the same time")
        object.__setattr__(self, "_starts", starts)

    @classmethod
    def of(cls, phases: Iterable[Phase]) -> Schedule:
        """The phases put in time order; two at the same time are refused (ValueError)."""
        ordered = sorted(phases, key=lambda phase: phase.at)
        for earlier, later in itertools.pairwise(ordered):
            if earlier.at == later.at:
                raise ValueError(
                    f"two phases start at {_seconds_text(later.at)}: {earlier} and {later}"
                )
        return cls(tuple(ordered))

    def fault_at(self, elapsed: float) -> Fault:
        """The fault in force `elapsed` seconds into the run."""
        index = bisect.bisect_right(self._starts, elapsed)
        return HEALTHY if index == 0 else self.phases[index - 1].fault

    def effect(self, elapsed: float, rng: random.Random) -> Effect:
        """What happens to a request `elapsed` seconds into the run, drawn from `rng`."""
        return draw(self.fault_at(elapsed), rng)

    def __bool__(self) -> bool:
        """Whether there is any phase at all."""
        return bool(self.phases)

    def __str__(self) -> str:
        """`0s:healthy 10s:status=500@0.6`."""
        return " ".join(str(phase) for phase in self.phases)


def parse_phase(text: str) -> Phase:
    """`10s:status=500@0.6` as a Phase; ValueError names what is wrong, in one line."""
    at_text, colon, fault_text = text.strip().partition(":")
    if not colon:
        raise ValueError(f"{text!r} must be <time>:<fault>, {_EXAMPLE}")
    at = _seconds(at_text, f"the time of {text!r}")
    return Phase(at, parse_fault(fault_text))


def parse_fault(text: str) -> Fault:
    """`status=500@0.6,delay=3s@0.3` or `healthy` as a Fault; ValueError says what is wrong."""
    cleaned = text.strip()
    if cleaned.lower() == HEALTHY_WORD:
        return HEALTHY
    if not cleaned:
        raise ValueError(
            f"a fault is missing: write healthy, status=CODE or delay=SECONDS ({_EXAMPLE})"
        )
    values: dict[str, tuple[str, str]] = {}
    for part in cleaned.split(","):
        name, equals, value = part.strip().partition("=")
        name = name.strip().lower()
        if not equals or name not in ("status", "delay"):
            raise ValueError(
                f"{part.strip()!r} must be status=CODE[@CHANCE] or delay=SECONDS[@CHANCE]"
            )
        if name in values:
            raise ValueError(f"{name} is given twice in {cleaned!r}")
        amount, _, chance = value.strip().partition("@")
        values[name] = (amount.strip(), chance.strip())
    fault = HEALTHY
    if "status" in values:
        code_text, chance_text = values["status"]
        fault = Fault(
            status=_status(code_text), status_chance=_chance(chance_text, f"status={code_text}")
        )
    if "delay" in values:
        delay_text, chance_text = values["delay"]
        fault = Fault(
            status=fault.status,
            status_chance=fault.status_chance,
            delay=_seconds(delay_text, "delay"),
            delay_chance=_chance(chance_text, f"delay={delay_text}"),
        )
    return fault


def _status(text: str) -> int:
    if not _CODE.fullmatch(text) or not LOWEST_STATUS <= int(text) <= HIGHEST_STATUS:
        raise ValueError(f"status {text!r} must be a code from {LOWEST_STATUS} to {HIGHEST_STATUS}")
    return int(text)


def _chance(text: str, of: str) -> float:
    if not text:
        return 1.0
    match = _NUMBER.fullmatch(text)
    value = math.inf if match is None else float(match[1]) / (100 if match[2] else 1)
    if not 0 <= value <= 1:
        raise ValueError(f"the chance of {of} must be from 0 to 1 (or 0% to 100%), got {text!r}")
    return value


def _seconds(text: str, what: str) -> float:
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{what} must be a duration such as 10s, 500ms or 1.5m, got {text!r}")
    number, unit = float(match[1]), match[2]
    seconds = number / 1000 if unit == "ms" else number * (60 if unit == "m" else 1)
    if seconds > MAX_SECONDS:
        raise ValueError(f"{what} must be at most {MAX_SECONDS:.0f} seconds (a day)")
    return seconds


def _seconds_text(seconds: float) -> str:
    """`10s`, `0.5s`, `1.5s`: the shortest exact spelling in seconds."""
    return f"{_number_text(seconds)}s"


def _number_text(number: float) -> str:
    """`10`, `0.5`, `0.0000004`: the shortest text that reads back as the same float.

    Positional, never `4e-07`: the grammar has no exponents.
    """
    text = format(Decimal(repr(float(number))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _chance_text(chance: float) -> str:
    return "" if chance == 1 else f"@{_number_text(chance)}"
