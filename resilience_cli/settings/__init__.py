"""One table of settings: every knob of the call commands and of scenario files, once.

Each entry (`Setting`) holds everything about one knob: its configuration key (its name
under `policies:` in a scenario file and in every error about it), its flag, its kind
and unit, its default (and the per-command defaults where they differ), the flag value
that switches it off, what `null` means in a file, its bounds and its help. From the
table come:

- the Typer options of `invoke`, `delay` and `error` (`cli/options.py`);
- the policy keys of scenario files, hence `resilience schema` (`scenarios/policies.py`);
- one builder of the `Policies` both of them run with (`build_policies`);
- the options tables of the README and docs/patterns.md (`settings.docs`, which a test
  runs to keep them in step).

Adding a knob is adding one entry here (and its field to the pattern's config class).
Nothing heavy is imported: `resilience --help` reads this package.
"""

from __future__ import annotations

from typing import Final

from resilience_cli.settings._policies import Chosen, build_policies, chosen_by_flags
from resilience_cli.settings._policy_table import PATTERNS, POLICY_SETTINGS
from resilience_cli.settings._run_table import RUN_SETTINGS
from resilience_cli.settings._setting import (
    CALL_COMMANDS,
    LOAD_COMMANDS,
    Kind,
    Pattern,
    Setting,
    Value,
    number_text,
)

SETTINGS: Final = (*RUN_SETTINGS, *POLICY_SETTINGS)
"""Every setting, in the order of `--help`."""
BY_NAME: Final = {setting.name: setting for setting in SETTINGS}
BY_KEY: Final = {setting.key: setting for setting in POLICY_SETTINGS}


def flag_of(key: str) -> str:
    """The flag of a configuration key (`breaker.open_for` -> `--open-for`), else the key."""
    setting = BY_KEY.get(key)
    return key if setting is None else setting.flag.split("/")[0]


__all__ = [
    "BY_KEY",
    "BY_NAME",
    "CALL_COMMANDS",
    "LOAD_COMMANDS",
    "PATTERNS",
    "POLICY_SETTINGS",
    "RUN_SETTINGS",
    "SETTINGS",
    "Chosen",
    "Kind",
    "Pattern",
    "Setting",
    "Value",
    "build_policies",
    "chosen_by_flags",
    "flag_of",
    "number_text",
]
