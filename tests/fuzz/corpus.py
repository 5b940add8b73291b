"""What the fuzz tests damage, and the values each field is most likely to break on.

- Scenarios: the shipped ones, as bytes and as trees. Besides the generic damage of
  `mutations.py`, a policy key or a step's number is set to a value at its bounds or just
  past them, read from the settings table (`--help` and the docs come from it too).
- State files: valid snapshots of breakers in every state, written as the store writes
  them. Each field of the snapshot, and of the file around it, has its own list of values
  at and past its bounds (counts near 2**63, times near the years 1970 and 9999).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Final

import yaml
from documents import Pairs, Raw, to_tree
from hypothesis import strategies as st
from mutations import corpus_of
from values import TIMES

import resilience_cli.scenarios
from resilience_cli.limits import MAX_CALLS, MAX_CONCURRENCY, MAX_SECONDS, MAX_STORED_COUNT
from resilience_cli.patterns import BreakerConfig, CircuitBreaker
from resilience_cli.settings import POLICY_SETTINGS
from resilience_cli.state.json_file import KIND, SCHEMA_VERSION
from resilience_cli.state.memento import to_snapshot
from resilience_cli.virtual_time import VirtualClock

if TYPE_CHECKING:
    from collections.abc import Sequence

# -- scenarios ------------------------------------------------------------------------------------

SHIPPED: Final = sorted((Path(resilience_cli.scenarios.__file__).parent / "shipped").glob("*.yaml"))
SCENARIO_BYTES: Final = [path.read_bytes() for path in SHIPPED]
SCENARIO_TREES: Final = [to_tree(yaml.safe_load(data)) for data in SCENARIO_BYTES]
SCENARIO_CORPUS: Final = corpus_of(SCENARIO_TREES)

_TINY: Final = 5e-324  # the smallest float above 0


def _edges(low: float | None, high: float | None, off: float | None) -> list[object]:
    """A bound's own values, the values just past them, and off."""
    found: list[object] = [0, 1, -1, _TINY, 1e-9]
    for bound in (low, high, off):
        if bound is not None:
            found += [bound, int(bound), bound + 1, bound - 1, bound * (1 + 1e-15)]
    return found


# Every policy key, and the values at and past its bounds.
POLICY_EDGES: Final = {
    (setting.pattern, setting.field): _edges(setting.low, setting.high, setting.off)
    for setting in POLICY_SETTINGS
}
STEP_EDGES: Final = {
    "count": [1, 2, 0, MAX_CALLS, MAX_CALLS + 1],
    "concurrency": [1, 0, MAX_CONCURRENCY, MAX_CONCURRENCY + 1],
    "seconds": [0, _TINY, 10, 10.001, MAX_SECONDS, MAX_SECONDS + 1, "86400s", "1441m", "0ms"],
}


_CALL_KINDS: Final = ("invoke", "delay", "error")


def _steps(tree: Pairs, kinds: Sequence[str]) -> list[Pairs]:
    """The steps (in `steps` and `finally`) of one of `kinds`."""
    return [
        step
        for key, steps in tree.pairs
        if key in ("steps", "finally") and isinstance(steps, list)
        for step in steps
        if isinstance(step, Pairs) and any(pair[0] in kinds for pair in step.pairs)
    ]


def _mapping_at(tree: Pairs, key: str) -> Pairs:
    """The mapping under `key`, made if missing (a `null` there is replaced too)."""
    for pair in tree.pairs:
        if pair[0] == key:
            if not isinstance(pair[1], Pairs):
                pair[1] = Pairs()
            return pair[1]
    made = Pairs()
    tree.pairs.append([key, made])
    return made


def _put(tree: Pairs, key: str, value: object) -> None:
    for pair in tree.pairs:
        if pair[0] == key:
            pair[1] = value
            return
    tree.pairs.append([key, value])


@st.composite
def scenarios_at_their_bounds(draw: st.DrawFn) -> object:
    """A shipped scenario with one to three numbers set at, or just past, their bounds."""
    tree = copy.deepcopy(draw(st.sampled_from(SCENARIO_TREES)))
    assert isinstance(tree, Pairs)
    call_steps = _steps(tree, _CALL_KINDS)  # every shipped scenario has some
    timed_steps = _steps(tree, (*_CALL_KINDS, "pause"))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        if draw(st.booleans()):  # a policy key, for all steps or for one
            pattern, field = draw(st.sampled_from(sorted(POLICY_EDGES)))
            value = draw(st.sampled_from(POLICY_EDGES[pattern, field]))
            where = tree if draw(st.booleans()) else draw(st.sampled_from(call_steps))
            owner = _mapping_at(where, "defaults") if where is tree else where
            _put(_mapping_at(_mapping_at(owner, "policies"), pattern), field, value)
            continue
        step = draw(st.sampled_from(timed_steps))  # a step's count, concurrency or seconds
        kind_pair = next(pair for pair in step.pairs if pair[0] in (*_CALL_KINDS, "pause"))
        field = draw(st.sampled_from(sorted(STEP_EDGES)))
        value = draw(st.sampled_from(STEP_EDGES[field]))
        if kind_pair[0] == "pause":
            kind_pair[1] = value if field == "seconds" else kind_pair[1]
        else:
            _put(_mapping_at(step, str(kind_pair[0])), field, value)
    return tree


# -- state files ----------------------------------------------------------------------------------


def _valid_snapshots() -> list[dict[str, object]]:
    """Breakers in every state, as the state file holds them, on a fixed virtual wall clock."""
    clock = VirtualClock(wall_origin=1_780_000_000.0)
    config = BreakerConfig(failure_threshold=3, half_open_max_calls=3, open_for=30)
    snapshots = [to_snapshot(CircuitBreaker(config, clock=clock))]  # closed, fresh
    breaker = CircuitBreaker(config, clock=clock)
    for _ in range(2):
        breaker.record(breaker.acquire(), 0.01, "http_5xx")
    snapshots.append(to_snapshot(breaker))  # closed, two failures in a row
    breaker.record(breaker.acquire(), 0.01, "http_5xx")
    snapshots.append(to_snapshot(breaker))  # open
    clock.jump(31)
    breaker.record(breaker.acquire(), 0.01)
    snapshots.append(to_snapshot(breaker))  # half-open, one probe of three succeeded
    breaker.force_open("[bold]held[/] \x1b]0;pwned\x07 \u00e9t\u00e9")
    snapshots.append(to_snapshot(breaker))  # forced open
    for _ in range(12):
        breaker.reset()
        for _ in range(3):
            breaker.record(breaker.acquire(), 0.5, "timeout")
    breaker.reset()
    breaker.record(breaker.acquire(), 0.01)
    snapshots.append(to_snapshot(breaker))  # closed, with a full history
    return snapshots


def state_document(snapshot: object) -> dict[str, object]:
    """The state file around `snapshot`, as `JsonFileStore` writes it."""
    return {
        "breaker": snapshot,
        "kind": KIND,
        "schema_version": SCHEMA_VERSION,
        "updated_at": "2026-05-28T20:26:40+00:00",
    }


def state_bytes(document: object) -> bytes:
    """The document as the store writes it: indented, sorted keys, a final newline."""
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


SNAPSHOTS: Final = _valid_snapshots()
STATE_BYTES: Final = [state_bytes(state_document(snapshot)) for snapshot in SNAPSHOTS]
STATE_TREES: Final = [to_tree(json.loads(data)) for data in STATE_BYTES]
STATE_CORPUS: Final = corpus_of(STATE_TREES)

# Each field's values: valid ones at its bounds, then invalid ones past them or of another
# type. The valid ones find what a command writes but cannot read back.
_COUNTS: Final = (
    (0, 1, 2, MAX_STORED_COUNT, MAX_STORED_COUNT - 1),
    (MAX_STORED_COUNT + 1, -1, 1.5, 2.0, "3", True, None, Raw("9" * 400), Raw("1e400")),
)
_TIMES: Final = (
    (
        "1970-01-01T00:00:00+00:00",
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00",
        "2026-01-01",
        "2999-01-01T00:00:00+00:00",
        "9998-12-31T23:59:59+00:00",
        None,
    ),
    (*TIMES, 0, 1.5, True, [], Raw("1e400")),
)
_STATES: Final = (
    ("closed", "open", "half_open", "forced_open"),
    ("OPEN", "", "closed ", None, 1, ["open"]),
)
_SECONDS: Final = (
    (0, 0.0, 1, 30.0, MAX_SECONDS, _TINY, -0.0),
    (MAX_SECONDS + 0.001, -1, Raw("1e400"), Raw("9" * 400), "30", None, True, 2**63),
)
_TRANSITION: Final = {
    "from": "closed",
    "to": "open",
    "at": "2026-05-28T20:26:40+00:00",
    "reason": "x",
}
SNAPSHOT_FIELDS: Final[dict[str, tuple[Sequence[object], Sequence[object]]]] = {
    "format": ((1,), (2, 0, -1, "1", 1.0, True, None, Raw("9" * 400))),
    "state": _STATES,
    "fail_count": _COUNTS,
    "probes_succeeded": _COUNTS,
    "window": (("", ".", "x" * 10_001, ".xsX" * 2_500), ("?", "\u00e9", None, 5, [".", "x"])),
    "opened_at": _TIMES,
    "half_open_since": _TIMES,
    "open_for": _SECONDS,
    "transitions": (
        (
            [],
            [_TRANSITION] * 25,
            [{**_TRANSITION, "reason": "[/]" * 1000}],
            [{**_TRANSITION, "reason": "\x1b]0;pwned\x07\x1b[2J"}],
            [{**_TRANSITION, "at": "9998-12-31T23:59:59+00:00"}],
            [{**_TRANSITION, "at": "1970-01-01T00:00:00+00:00"}],
        ),
        (
            None,
            "x",
            [{}],
            [{**_TRANSITION, "reason": None}],
            [{**_TRANSITION, "from": "nowhere"}],
            [[_TRANSITION]],
        ),
    ),
}
ENVELOPE_FIELDS: Final[dict[str, tuple[Sequence[object], Sequence[object]]]] = {
    "kind": ((KIND,), ("resilience-cli/other", KIND.upper(), None, 1, "")),
    "schema_version": ((1,), (2, 0, -1, "1", 1.0, True, None, Raw("9" * 400))),
    "updated_at": ((*TIMES, None, 5), ()),
    "breaker": ((), (None, [], "x", 1, {})),
}


@st.composite
def snapshots_field_by_field(draw: st.DrawFn) -> bytes:
    """A valid state file with one to three fields set (at their bounds or past them) or dropped."""
    document = state_document(copy.deepcopy(draw(st.sampled_from(SNAPSHOTS))))
    breaker = document["breaker"]
    assert isinstance(breaker, dict)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        in_envelope = draw(st.integers(min_value=0, max_value=5)) == 5
        owner, fields = (document, ENVELOPE_FIELDS) if in_envelope else (breaker, SNAPSHOT_FIELDS)
        name = draw(st.sampled_from(sorted(fields)))
        valid, invalid = fields[name]
        choice = draw(st.integers(min_value=0, max_value=9))
        if choice == 9:
            owner.pop(name, None)
        elif choice < 6 and valid:
            owner[name] = copy.deepcopy(draw(st.sampled_from(valid)))
        elif invalid:
            owner[name] = copy.deepcopy(draw(st.sampled_from(invalid)))
    return _write_state(document)


def _write_state(document: dict[str, object]) -> bytes:
    """Like `state_bytes`, but `Raw` values are written as they are (huge numbers)."""
    raws: list[str] = []

    def token(value: object) -> object:
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"@@raw{len(raws) - 1}@@"
        if isinstance(value, dict):
            return {key: token(item) for key, item in value.items()}
        if isinstance(value, list):
            return [token(item) for item in value]
        return value

    text = json.dumps(token(document), indent=2, sort_keys=True) + "\n"
    for index, raw in enumerate(raws):
        text = text.replace(f'"@@raw{index}@@"', raw)
    return text.encode()
