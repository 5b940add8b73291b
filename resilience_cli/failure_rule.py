"""What counts as a failure: the run's `--fail-on` and a request's `ok_status`, as one value.

The default is the classroom's: 5xx and 429 answers, timeouts and transport errors fail,
and any other answer succeeds (the upstream answered). A run may say otherwise with
`--fail-on 5xx,429,timeout,connect` (or `fail_on:` in a scenario step), and a request
with `ok_status: [200, 201, 404]`, which then decides every status for that request:
listed, a success; any other, a failure. Timeouts and transport errors stay the run's.

A timeout or transport error the rule leaves out is still no answer: the call falls back
with its reason, but it is not retried and the breaker does not count it.

Every rule says who set it (`source`), so a failed attempt's detail and the summary can
say which rule decided. Pure: no httpx, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from resilience_cli import defaults
from resilience_cli.patterns.outcome import Reason

STATUS_CLASSES: Final[tuple[str, ...]] = ("4xx", "5xx")
TRANSPORT: Final[tuple[str, ...]] = ("timeout", "connect")
DEFAULT_FAIL_ON: Final = defaults.FAIL_ON
_RETRYABLE_STATUSES: Final = frozenset({408, 429})


@dataclass(frozen=True, slots=True)
class FailureRule:
    """Which answers and errors count as failures, and who said so.

    Attributes:
        classes: Status classes that fail: `5xx`, `4xx`.
        codes: Single statuses that fail: 429, 404...
        timeout: Whether an attempt timeout is a failure.
        connect: Whether a transport error (refused, reset, dropped) is a failure.
        source: Who set it: `default`, `--fail-on`, `fail_on`.
        ok_status: A request's own successes: when set, every other status fails.
        request: The request whose `ok_status` this is, for the words.
    """

    classes: frozenset[str] = frozenset({"5xx"})
    codes: frozenset[int] = frozenset({429})
    timeout: bool = True
    connect: bool = True
    source: str = "default"
    ok_status: frozenset[int] | None = None
    request: str = ""

    def for_request(self, name: str, ok_status: frozenset[int] | None) -> FailureRule:
        """This rule, with a request's own `ok_status` deciding its statuses."""
        if ok_status is None:
            return self
        return FailureRule(
            self.classes, self.codes, self.timeout, self.connect, self.source, ok_status, name
        )

    def status_failure(self, status: int) -> tuple[Reason, bool, str] | None:
        """None when `status` is a success; else its reason, whether to retry, and why."""
        if self.ok_status is not None:
            if status in self.ok_status:
                return None
            why = f"HTTP {status}: not in ok_status {_codes(self.ok_status)} of {self.request!r}"
        elif status in self.codes or f"{status // 100}xx" in self.classes:
            why = f"HTTP {status}: fails by {self.source} rule ({self.describe_statuses()})"
        else:
            return None
        if status >= 500:
            return Reason.HTTP_5XX, True, why
        if status == 429:
            return Reason.HTTP_429, True, why
        # A 404 asked again is a 404 again; a 408 is the server asking for a new try.
        return Reason.UNEXPECTED_STATUS, status in _RETRYABLE_STATUSES, why

    def describe_statuses(self) -> str:
        """`5xx, 429`: the statuses that fail, in the order `--fail-on` takes them."""
        parts = [c for c in STATUS_CLASSES[::-1] if c in self.classes]
        parts += [str(code) for code in sorted(self.codes)]
        return ", ".join(parts) or "no status"

    def describe(self) -> str:
        """`5xx, 429, timeout, connect (default)`: the whole rule in one line."""
        parts = [c for c in STATUS_CLASSES[::-1] if c in self.classes]
        parts += [str(code) for code in sorted(self.codes)]
        parts += [name for name, on in (("timeout", self.timeout), ("connect", self.connect)) if on]
        return f"{', '.join(parts) or 'nothing'} ({self.source})"


DEFAULT_RULE: Final = FailureRule()


def parse_fail_on(text: str, source: str = "--fail-on") -> FailureRule:
    """`5xx,429,timeout,connect` -> a rule; raises ValueError naming the bad item.

    Items: `5xx`, `4xx`, a status from 200 to 599, `timeout`, `connect`. An empty list
    means nothing fails but what no answer can stand for.
    """
    classes: set[str] = set()
    codes: set[int] = set()
    transport: set[str] = set()
    for raw in text.split(","):
        item = raw.strip().lower()
        if not item:
            continue
        if item in STATUS_CLASSES:
            classes.add(item)
        elif item in TRANSPORT:
            transport.add(item)
        elif item.isascii() and item.isdigit() and len(item) == 3 and 200 <= int(item) <= 599:
            codes.add(int(item))
        else:
            raise ValueError(
                f"{raw.strip()!r} is not one of 5xx, 4xx, a status such as 429, timeout, connect"
            )
    return FailureRule(
        frozenset(classes),
        frozenset(codes),
        timeout="timeout" in transport,
        connect="connect" in transport,
        source=source,
    )


def parse_ok_status(values: object) -> frozenset[int]:
    """A request's `ok_status`: statuses from 100 to 599; raises ValueError otherwise."""
    items = values if isinstance(values, list | tuple) else [values]
    codes: set[int] = set()
    for value in items:
        if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
            raise ValueError(f"ok_status holds {value!r}: want statuses from 100 to 599")
        codes.add(value)
    if not codes:
        raise ValueError("ok_status must list at least one status")
    return frozenset(codes)


def _codes(codes: frozenset[int]) -> str:
    return "[" + ", ".join(str(code) for code in sorted(codes)) + "]"
