"""What one entry of the settings table says about a knob, and the texts derived from it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final, TypeAlias, TypeVar

Value: TypeAlias = int | float | bool | str | Path | None
T = TypeVar("T")

CALL_COMMANDS: Final = ("invoke", "delay", "error")
LOAD_COMMANDS: Final = (*CALL_COMMANDS, "stress")
"""The commands that send calls through the patterns: the call commands and `stress`."""


class Kind(StrEnum):
    """What a setting holds; each kind has one Python type on the command line."""

    WHOLE = "whole number"
    SECONDS = "seconds"
    NUMBER = "number"
    FRACTION = "fraction"
    SWITCH = "switch"
    TEXT = "text"
    TEXTS = "text, repeatable"
    PATH = "path"

    @property
    def python_type(self) -> type[int | float | bool | str | Path]:
        """The type Typer parses the flag into."""
        return _PYTHON_TYPES[self]


_PYTHON_TYPES: Final[dict[Kind, type[int | float | bool | str | Path]]] = {
    Kind.WHOLE: int,
    Kind.SECONDS: float,
    Kind.NUMBER: float,
    Kind.FRACTION: float,
    Kind.SWITCH: bool,
    Kind.TEXT: str,
    Kind.TEXTS: str,  # each of them; the flag takes a list
    Kind.PATH: Path,
}


@dataclass(frozen=True, slots=True)
class Pattern:
    """One pattern's entry: the group its keys share under `policies:`.

    `model` and `summary` name and describe its section of scenario files (and the JSON
    Schema); `label` says what `null` switches off; `heading` is its section in
    docs/patterns.md.
    """

    name: str
    model: str
    summary: str
    label: str
    heading: str


@dataclass(frozen=True, slots=True)
class Setting:
    """One knob: everything the flag, the scenario key, the builder and the docs need.

    Attributes:
        flag: `--timeout`; a switch names both spellings (`--retry-after/--no-retry-after`).
        kind: What it holds.
        default: The classroom default; None means off (a flag then shows `off`).
        help: What it is, as a phrase without a final full stop ("Seconds per attempt").
        key: `timeout.attempt`: the pattern and its config field, which is also the key
            under `policies:` in scenario files. Empty for the settings of a run.
        short: `-n`, or empty.
        unit: For the docs: `s`, `/s`, or empty.
        low: The smallest value that makes sense (`low_open`: the value itself does not).
            For a run setting it is checked where it is written; for a pattern key the
            pattern checks it, in its own words, and a test checks they agree.
        high: The largest value accepted, checked where it is written (flag and file).
        off: The flag value that switches it off (`--timeout 0`), or None.
        off_means: What `off` does, for `--help` ("no limiter").
        switches_pattern: `off` switches its whole pattern off, not just this key.
        null: What `null` means for the key in a scenario file; empty: null is refused.
        notes: Other values worth knowing ("1: no retry"), said in `--help` and files.
        commands: The commands that have the flag (by default the call commands and
            `stress`).
        repeatable: The flag may be given again and again (`--phase`); a list.
        per_command: Defaults that differ by command: `(("delay", 8), ("error", 20))`.
        panel: The `--help` panel.
        envvar: The environment variable that sets it, or empty.
        shown_default: What `--help` and the docs call the default when `default` would
            not say it (`embedded`).
        detail: For docs/patterns.md: what else the reader of the docs should know.
        anchors: For docs/patterns.md: the defaults of the libraries we compare with.
    """

    flag: str
    kind: Kind
    default: Value
    help: str
    key: str = ""
    short: str = ""
    unit: str = ""
    low: float | None = None
    low_open: bool = False
    high: float | None = None
    off: float | None = None
    off_means: str = "off"
    switches_pattern: bool = False
    null: str = ""
    notes: tuple[str, ...] = ()
    commands: tuple[str, ...] = LOAD_COMMANDS
    repeatable: bool = False
    per_command: tuple[tuple[str, Value], ...] = ()
    panel: str = ""
    envvar: str = ""
    shown_default: str = ""
    detail: str = ""
    anchors: str = ""

    @property
    def name(self) -> str:
        """The parameter's name: `--half-open-max-wait` is `half_open_max_wait`."""
        return self.flag.split("/")[0].removeprefix("--").replace("-", "_")

    @property
    def flags(self) -> tuple[str, ...]:
        """The flag's spellings for Typer: `("-n", "--count")`."""
        return (self.short, self.flag) if self.short else (self.flag,)

    @property
    def pattern(self) -> str:
        """`timeout` of `timeout.attempt`; empty for a run setting."""
        return self.key.partition(".")[0]

    @property
    def field(self) -> str:
        """`attempt` of `timeout.attempt`: the key within its pattern."""
        return self.key.partition(".")[2]

    @property
    def nullable(self) -> bool:
        """Whether a scenario file may set the key to null."""
        return bool(self.null)

    def default_for(self, command: str) -> Value:
        """The default of this setting for `command` (`delay` makes 8 calls, not 10)."""
        return dict(self.per_command).get(command, self.default)

    def typed_default(self, command: str, kind: type[T]) -> T:
        """The default for `command`, as the type the caller knows it has."""
        default = self.default_for(command)
        if not isinstance(default, kind):  # pragma: no cover - a mistake in the table
            raise TypeError(f"the default of {self.flag} is not a {kind.__name__}")
        return default

    def flag_default(self, command: str) -> Value:
        """The default as the flag spells it: the off value stands for None."""
        default = self.default_for(command)
        return self.off if default is None and self.off is not None else default

    @property
    def flag_low(self) -> float | None:
        """The smallest value Typer lets through: for a pattern key, its off value.

        A pattern key's range is checked by its pattern and `too_large`, whose messages
        name the key as well as the flag; a run setting's by Typer.
        """
        return self.off if self.key else self.low

    @property
    def flag_high(self) -> float | None:
        """The largest value Typer lets through (None: `too_large` judges)."""
        return None if self.key else self.high

    def too_large(self, value: Value) -> str | None:
        """Why `value` is above the bound, or None; NaN is left for the range check."""
        if self.high is None or not isinstance(value, int | float) or not value > self.high:
            return None
        if self.kind is Kind.SECONDS:
            return f"must be at most {number_text(self.high)} seconds (a day), got {value}"
        return f"must be <= {number_text(self.high)}, got {value}"

    @property
    def flag_help(self) -> str:
        """The flag's help, such as "Seconds per attempt (timeout.attempt; 0: off)."."""
        remarks = [*self.notes]
        if self.off is not None:
            remarks.append(f"{number_text(self.off)}: {self.off_means}")
        inside = "; ".join([self.key, *remarks] if self.key else remarks)
        return f"{self.help} ({inside})." if inside else f"{self.help}."

    @property
    def file_help(self) -> str:
        """The key's help in files: "Seconds per attempt (--timeout); null: no attempt timeout."."""
        remarks = [*self.notes]
        if self.null:
            remarks.append(f"null: {self.null}")
        tail = "".join(f"; {remark}" for remark in remarks)
        return f"{self.help} ({self.flag.split('/')[0]}){tail}."

    def default_text(self, command: str = "invoke") -> str:
        """The default for people: `2 s`, `off`, `on`, `embedded`, `logs/app.log`."""
        default = self.default_for(command)
        if self.shown_default or default is None:
            return self.shown_default or "off"
        if isinstance(default, bool):
            return "on" if default else "off"
        if isinstance(default, int | float):
            return f"{number_text(default)}{unit_suffix(self.unit)}"
        return str(default)

    @property
    def range_text(self) -> str:
        """The values it takes, for the docs: `1 to 1,000,000`, `> 0, at most 86,400 s`."""
        unit = unit_suffix(self.unit)
        if self.low is None and self.high is None:
            return ""
        if self.low is None:
            return f"≤ {number_text(self.high)}{unit}"
        if self.high is None:
            return f"{'>' if self.low_open else '≥'} {number_text(self.low)}{unit}"
        if self.low_open:
            return f"> {number_text(self.low)}, ≤ {number_text(self.high)}{unit}"
        return f"{number_text(self.low)} to {number_text(self.high)}{unit}"


def number_text(value: float | None) -> str:
    """`86,400`, `0.5`, `2`: whole floats without a fraction, thousands grouped."""
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:g}"
    if abs(value) >= 10**15 and math.log2(abs(value) + 1).is_integer():
        return f"2^{round(math.log2(abs(value) + 1))} - 1"
    return f"{int(value):,}"


def unit_suffix(unit: str) -> str:
    """` s` for seconds, `/s` for a rate, nothing for a count."""
    if not unit:
        return ""
    return unit if unit.startswith("/") else f" {unit}"
