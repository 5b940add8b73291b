"""The kinds of metric an expectation can name: k6's four, and the states of a window."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from resilience_cli.measure import Latencies


@dataclass(frozen=True, slots=True)
class Counter:
    """Events out of a total: `count` of them, `rate` = count / total (0 when total is 0)."""

    count: int
    total: int


@dataclass(frozen=True, slots=True)
class Trend:
    """Durations in seconds, one per call: the `Latencies` a step measured."""

    latencies: Latencies


@dataclass(frozen=True, slots=True)
class Gauge:
    """One number. `seconds` marks a duration, whose thresholds must carry a unit."""

    value: float
    seconds: bool = False


@dataclass(frozen=True, slots=True)
class Label:
    """One word, such as a breaker state; compared with == and != only."""

    value: str


@dataclass(frozen=True, slots=True)
class States:
    """The words a Label took over a window, in order: `== open` holds if one of them is.

    A stress step's `breaker.state[10s..25s]`: the state it was in when the window began,
    then each it moved to. `!= open` holds if none of them is.
    """

    values: tuple[str, ...]


Metric: TypeAlias = Counter | Trend | Gauge | Label | States
Metrics: TypeAlias = Mapping[str, Metric]
MetricKind: TypeAlias = type[Counter] | type[Trend] | type[Gauge] | type[Label] | type[States]
