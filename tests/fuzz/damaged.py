"""The damaged files the fuzz tests draw: scenarios and state files, each kind weighed.

Five kinds of damage, from the simplest (hypothesis shrinks towards it): gentle
structural damage, numbers at or past their bounds (field by field), wild structural
damage, byte-level damage of the original file, and wild structural damage then bytes.
"""

from __future__ import annotations

from typing import Final

from corpus import (
    SCENARIO_BYTES,
    SCENARIO_CORPUS,
    SCENARIO_TREES,
    STATE_BYTES,
    STATE_CORPUS,
    STATE_TREES,
    scenarios_at_their_bounds,
    snapshots_field_by_field,
)
from documents import YamlStyle, write_json, write_yaml
from hypothesis import strategies as st
from mutations import mixed, mutated_bytes, mutated_tree, rewritten
from values import json_values, plausible_values, yaml_values


def _yaml_writer(draw: st.DrawFn, tree: object) -> bytes:
    style = YamlStyle(
        flow=draw(st.sampled_from([False, None, True])),
        unicode=draw(st.booleans()),
        width=draw(st.sampled_from([80, 20, 1000])),
    )
    return write_yaml(tree, style)


def _json_writer(draw: st.DrawFn, tree: object) -> bytes:
    return write_json(tree, indent=draw(st.booleans()))


def _damaged(
    originals: list[bytes],
    rewrite: st.SearchStrategy[bytes],
    *,
    gentle: st.SearchStrategy[bytes],
    at_bounds: st.SearchStrategy[bytes],
    valid_share: int,
) -> st.SearchStrategy[bytes]:
    """Damage of every kind; `valid_share` weighs the kinds that often leave a valid file."""

    @st.composite
    def rewrite_then_bytes(draw: st.DrawFn) -> bytes:
        return draw(mutated_bytes(draw(rewrite)))

    return mixed(
        (valid_share, gentle),
        (valid_share, at_bounds),
        (1, rewrite),
        (1, st.sampled_from(originals).flatmap(mutated_bytes)),
        (1, rewrite_then_bytes()),
    )


_SCENARIO_VALUES: Final = yaml_values(SCENARIO_CORPUS)
_SCENARIO_PLAUSIBLE: Final = plausible_values(SCENARIO_CORPUS)


def _damaged_scenarios(valid_share: int) -> st.SearchStrategy[bytes]:
    return _damaged(
        SCENARIO_BYTES,
        rewritten(
            SCENARIO_TREES,
            lambda tree: mutated_tree(tree, _SCENARIO_VALUES, aliases=True),
            _yaml_writer,
        ),
        gentle=rewritten(
            SCENARIO_TREES,
            lambda tree: mutated_tree(tree, _SCENARIO_PLAUSIBLE, gentle=True, most=2),
            _yaml_writer,
        ),
        at_bounds=st.builds(
            lambda tree, flow: write_yaml(tree, YamlStyle(flow=flow, unicode=True, width=80)),
            scenarios_at_their_bounds(),
            st.sampled_from([False, None]),
        ),
        valid_share=valid_share,
    )


_STATE_VALUES: Final = json_values(STATE_CORPUS)
_STATE_PLAUSIBLE: Final = plausible_values(STATE_CORPUS)

DAMAGED_SCENARIOS: Final = _damaged_scenarios(valid_share=1)
# Mostly damage that leaves the file valid, so that most examples get to run.
RUNNABLE_SCENARIOS: Final = _damaged_scenarios(valid_share=4)
DAMAGED_STATE_FILES: Final = _damaged(
    STATE_BYTES,
    rewritten(STATE_TREES, lambda tree: mutated_tree(tree, _STATE_VALUES), _json_writer),
    gentle=rewritten(
        STATE_TREES,
        lambda tree: mutated_tree(tree, _STATE_PLAUSIBLE, gentle=True, most=2),
        _json_writer,
    ),
    at_bounds=snapshots_field_by_field(),
    valid_share=2,
)
