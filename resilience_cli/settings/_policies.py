"""One builder of `Policies`, for the flags and for scenario files alike."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from resilience_cli.settings._policy_table import PATTERNS, POLICY_SETTINGS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from resilience_cli.patterns import Policies
    from resilience_cli.settings._setting import Value

T = TypeVar("T")

Chosen: TypeAlias = "Mapping[str, Mapping[str, Value] | None]"
"""Pattern -> its keys' values (`{"retry": {"attempts": 3, ...}}`), or None: off."""


def build_policies(chosen: Chosen) -> Policies:
    """The patterns' configurations from their keys' values; a pattern left out is off.

    Args:
        chosen: Each pattern's keys by name, as in a scenario's `policies:`; None (or
            no entry) switches the pattern off.

    Returns:
        The configurations the pipeline is built from.

    Raises:
        ConfigError: A value the pattern refuses; `field` is its key (`breaker.open_for`).
    """
    from resilience_cli.patterns import (  # noqa: PLC0415 - keep --help light
        BreakerConfig,
        BulkheadConfig,
        Policies,
        RateLimiterConfig,
        RetryConfig,
        TimeoutConfig,
    )

    def make(pattern: str, library: T) -> T | None:
        # `replace` builds the config again from the library's, with every key the table
        # has: its checks run, and a field the table lacks keeps the library's default.
        values = chosen.get(pattern)
        return None if values is None else dataclasses.replace(library, **values)  # type: ignore[type-var]

    return Policies(
        bulkhead=make("bulkhead", BulkheadConfig()),
        timeout=make("timeout", TimeoutConfig()),
        retry=make("retry", RetryConfig()),
        rate_limiter=make("rate_limiter", RateLimiterConfig()),
        breaker=make("breaker", BreakerConfig()),
    )


def chosen_by_flags(values: Mapping[str, Value]) -> dict[str, dict[str, Value] | None]:
    """What the flags choose, pattern by pattern: each off value becomes None (`null`).

    Args:
        values: Every policy flag's value, by the setting's `name` (`half_open_max_wait`).

    Returns:
        The argument `build_policies` takes.
    """
    chosen: dict[str, dict[str, Value] | None] = {pattern.name: {} for pattern in PATTERNS}
    for setting in POLICY_SETTINGS:
        value = values[setting.name]
        if setting.off is not None and value == setting.off:
            if setting.switches_pattern:
                chosen[setting.pattern] = None
            value = None
        keys = chosen[setting.pattern]
        if keys is not None:
            keys[setting.field] = value
    return chosen
