"""The options tables of the README and docs/patterns.md, made from the settings table.

Each table sits between two markers, `<!-- settings:NAME -->` and `<!-- /settings -->`,
where NAME is `options` (the README's table of the call commands' options), `stress`
(the options only `stress` has, or shares with `invoke`) or a pattern (`retry`,
`breaker`, ...: its table in docs/patterns.md). A test regenerates every block and
compares, so the docs cannot drift from the table; after adding a knob,

    python -m resilience_cli.settings.docs README.md docs/patterns.md

rewrites the blocks in place.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final

from resilience_cli.settings import CALL_COMMANDS, PATTERNS, SETTINGS, Kind, number_text
from resilience_cli.settings._setting import unit_suffix

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resilience_cli.settings._setting import Setting, Value

_BLOCK: Final = re.compile(
    r"(?P<open><!-- settings:(?P<name>[a-z_]+) -->\n).*?(?P<close><!-- /settings -->)", re.DOTALL
)


def options_table() -> str:
    """The README's table: the options every call command shares."""
    rows = [
        "| flag | key | default | range | |",
        "|---|---|---|---|---|",
    ]
    for setting in SETTINGS:
        if not set(CALL_COMMANDS) <= set(setting.commands):
            continue
        flag = f"`{setting.short}/{setting.flag}`" if setting.short else f"`{setting.flag}`"
        if setting.envvar:
            flag += f" (env `{setting.envvar}`)"
        key = f"`{setting.key}`" if setting.key else ""
        rows.append(
            f"| {flag} | {key} | {_defaults(setting)} | {setting.range_text} |"
            f" {_meaning(setting, flag=True)} |"
        )
    return "\n".join(rows) + "\n"


def stress_table() -> str:
    """The README's table of `stress`'s own options (the shared ones are in `options`)."""
    rows = ["| flag | default | range | |", "|---|---|---|---|"]
    for setting in SETTINGS:
        if "stress" not in setting.commands or set(CALL_COMMANDS) <= set(setting.commands):
            continue
        flag = f"`{setting.short}/{setting.flag}`" if setting.short else f"`{setting.flag}`"
        flag += " (repeatable)" if setting.repeatable else ""
        rows.append(
            f"| {flag} | {_shown(setting, setting.default_text('stress'))} |"
            f" {setting.range_text} | {_meaning(setting, flag=True)} |"
        )
    return "\n".join(rows) + "\n"


def pattern_table(pattern: str) -> str:
    """A pattern's table in docs/patterns.md: key, flag, defaults, range, meaning, anchors."""
    from resilience_cli.patterns import Policies  # noqa: PLC0415 - the library's defaults

    library = getattr(Policies(), pattern)
    rows = [
        "| key | flag | default | library | range | meaning | anchors |",
        "|---|---|---|---|---|---|---|",
    ]
    for setting in SETTINGS:
        if setting.pattern != pattern:
            continue
        flag = f"`{setting.flag}`"
        if setting.off is not None:
            flag += f" ({number_text(setting.off)}: {setting.off_means})"
        rows.append(
            f"| `{setting.key}` | {flag} | {_value_text(setting, setting.default)} |"
            f" {_value_text(setting, getattr(library, setting.field))} | {setting.range_text} |"
            f" {_meaning(setting, flag=False)} | {setting.anchors} |"
        )
    return "\n".join(rows) + "\n"


def blocks() -> dict[str, str]:
    """Every generated block by its marker name."""
    generated = {"options": options_table(), "stress": stress_table()}
    generated.update({pattern.name: pattern_table(pattern.name) for pattern in PATTERNS})
    return generated


def render(text: str) -> str:
    """`text` with every marked block generated afresh.

    Raises:
        KeyError: A marker names no block.
    """
    generated = blocks()
    return _BLOCK.sub(lambda match: match["open"] + generated[match["name"]] + match["close"], text)


def _defaults(setting: Setting) -> str:
    text = _shown(setting, setting.default_text())
    others = [
        f"`{command}` {_shown(setting, setting.default_text(command))}"
        for command, _ in setting.per_command
    ]
    return f"{text} ({', '.join(others)})" if others else text


def _shown(setting: Setting, text: str) -> str:
    return f"`{text}`" if setting.kind is Kind.PATH else text


def _value_text(setting: Setting, value: Value) -> str:
    if value is None:
        return "off"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{number_text(value)}{unit_suffix(setting.unit)}"
    return str(value)


def _meaning(setting: Setting, *, flag: bool) -> str:
    remarks = [*setting.notes]
    if flag and setting.off is not None:
        remarks.append(f"{number_text(setting.off)}: {setting.off_means}")
    if not flag and setting.null:
        remarks.append(f"`null`: {setting.null}")
    if not flag and setting.detail:
        remarks.append(setting.detail)
    return "; ".join([setting.help, *remarks])


def main(paths: Sequence[str]) -> int:
    """Rewrite the marked blocks of each file in place; 0 when all went well."""
    for name in paths:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        path.write_text(render(text), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    raise SystemExit(main(sys.argv[1:]))
