"""Fallback: the outermost layer, which answers when everything inside gave up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    from resilience_cli.patterns.outcome import Reason

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Fallback(Generic[T]):
    """Turns a final failure or a rejection into a contingency value, given the reason."""

    answer: Callable[[Reason], T]

    @classmethod
    def constant(cls, value: T) -> Fallback[T]:
        """A fallback that always answers `value`."""
        return cls(lambda _reason: value)
