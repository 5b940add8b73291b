"""`resilience compare`: one recorded trace replayed through several policy sets.

- `presets.py`: the named policy sets (the libraries' documented defaults, ours, the
  original demo's), each with its source;
- `sweep.py`: `--sweep KEY=V1,V2`, one variant of each preset per value;
- `simulate.py`: one policy set against a trace, in virtual time, as discrete events;
- `comparison.py`: every preset against one trace, timed from the same moments.
"""

from resilience_cli.compare.comparison import Comparison, PresetResult, compare, state_at
from resilience_cli.compare.presets import DEFAULT_PRESETS, PRESETS, Preset, parse_presets
from resilience_cli.compare.simulate import Replayed, Stage, replay
from resilience_cli.compare.sweep import Sweep, parse_sweep, variants

__all__ = [
    "DEFAULT_PRESETS",
    "PRESETS",
    "Comparison",
    "Preset",
    "PresetResult",
    "Replayed",
    "Stage",
    "Sweep",
    "compare",
    "parse_presets",
    "parse_sweep",
    "replay",
    "state_at",
    "variants",
]
