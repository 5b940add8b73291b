"""Latencies: fed one duration at a time, they give the exact figures a sorted list gives."""

import math
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resilience_cli.measure import Latencies, percentile
from resilience_cli.measure import latencies as latencies_module

DURATIONS = st.lists(st.floats(0, 100, allow_nan=False), max_size=300)
PERCENTS = st.floats(min_value=0.001, max_value=100)


@given(DURATIONS, PERCENTS)
def test_figures_are_those_of_the_sorted_durations(durations, percent):
    """count, min, max, mean and p(N) equal what the sorted list of durations gives."""
    latencies = Latencies()
    for seconds in durations:
        latencies.add(seconds)
    ordered = sorted(durations)
    assert latencies.count == len(durations)
    assert latencies.percentile(percent) == percentile(ordered, percent)
    assert latencies.min == (ordered[0] if ordered else 0.0)
    assert latencies.max == (ordered[-1] if ordered else 0.0)
    assert latencies.mean == (math.fsum(ordered) / len(ordered) if ordered else 0.0)


@given(DURATIONS, DURATIONS, PERCENTS)
def test_a_merge_holds_both_sides(left, right, percent):
    """Merging two Latencies gives what one fed with both sides' durations gives."""
    merged = Latencies(left)
    merged.merge(Latencies(right))
    both = Latencies(left + right)
    assert merged == both
    assert merged.count == both.count
    assert (merged.min, merged.max) == (both.min, both.max)
    assert merged.percentile(percent) == both.percentile(percent)


@given(st.lists(DURATIONS, max_size=4), PERCENTS)
def test_combined_parts_hold_every_duration(parts, percent):
    """A total combined from parts gives what one fed with every part's durations gives."""
    whole = Latencies.combined([Latencies(part) for part in parts])
    every = Latencies([seconds for part in parts for seconds in part])
    assert whole == every
    assert (whole.count, whole.min, whole.max) == (every.count, every.min, every.max)
    assert whole.mean == every.mean
    assert whole.percentile(percent) == every.percentile(percent)


def test_durations_added_after_a_percentile_are_counted():
    """Asking for a figure does not freeze the durations: later ones count too."""
    latencies = Latencies([3.0, 1.0])
    assert latencies.percentile(100) == 3.0
    latencies.add(5.0)
    latencies.add(0.5)
    assert (latencies.percentile(100), latencies.percentile(1)) == (5.0, 0.5)
    assert latencies.count == 4


def test_more_durations_than_one_sort_run_come_out_in_order(monkeypatch):
    """Past one sort run, the runs are sorted and merged: the order is still exact."""
    monkeypatch.setattr(latencies_module, "SORT_RUN", 7)
    durations = [float((i * 37) % 101) for i in range(100)]
    latencies = Latencies(durations)
    ordered = sorted(durations)
    assert [latencies.percentile(p) for p in range(1, 101)] == [
        percentile(ordered, p) for p in range(1, 101)
    ]


def test_empty_latencies_read_zero():
    """No durations: every figure is 0, as the reports have always shown."""
    empty = Latencies()
    assert (empty.count, empty.min, empty.max, empty.mean, empty.percentile(99)) == (0, 0, 0, 0, 0)


def test_latencies_are_equal_by_their_durations_in_any_order():
    """Two Latencies holding the same durations are equal; they are not hashable."""
    assert Latencies([0.2, 0.1]) == Latencies([0.1, 0.2])
    assert Latencies([0.1]) != Latencies([0.1, 0.1])
    assert Latencies() != [0.1]
    assert repr(Latencies([0.1, 0.4])) == "Latencies(count=2, min=0.1, max=0.4)"
    with pytest.raises(TypeError):
        hash(Latencies())


def test_a_duration_costs_about_eight_bytes():
    """200,000 durations are held in under 2.5 MB: as 8-byte floats, not Python objects."""
    tracemalloc.start()
    try:
        latencies = Latencies(float(i % 1000) for i in range(200_000))
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 2_500_000  # 200,000 Python floats in a list would take 6.4 MB
    assert latencies.percentile(50) == 499.0
