"""The threshold grammar: what parses, what it means, and how mistakes are reported."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resilience_cli.errors import EXIT_USAGE, UsageError
from resilience_cli.scenarios.thresholds import (
    AGGREGATIONS,
    OPERATORS,
    Threshold,
    ThresholdError,
    equality,
    format_number,
    parse_threshold,
)


def fields(threshold: Threshold) -> tuple[object, ...]:
    """Everything but the text as written."""
    return dataclasses.astuple(dataclasses.replace(threshold, text=""))


@pytest.mark.parametrize(
    ("text", "aggregation", "percentile", "op", "value", "unit"),
    [
        ("p(95) < 300ms", "p", 95.0, "<", 0.3, "ms"),
        ("p(99.9) <= 1.5s", "p", 99.9, "<=", 1.5, "s"),
        ("p(100) < 2m", "p", 100.0, "<", 120.0, "m"),
        ("avg < 300", "avg", None, "<", 300.0, None),
        ("min >= 0", "min", None, ">=", 0.0, None),
        ("med > .5s", "med", None, ">", 0.5, "s"),
        ("max != 2s", "max", None, "!=", 2.0, "s"),
        ("rate > 0.9", "rate", None, ">", 0.9, None),
        ("rate > 90%", "rate", None, ">", 0.9, "%"),
        ("rate == 1", "rate", None, "==", 1.0, None),
        ("count == 0", "count", None, "==", 0.0, None),
        ("count >= 20", "count", None, ">=", 20.0, None),
        ("value == open", "value", None, "==", "open", None),
        ("value != half_open", "value", None, "!=", "half_open", None),
        ("value < 2s", "value", None, "<", 2.0, "s"),
        ("value <= 50%", "value", None, "<=", 0.5, "%"),
        ("value > 3", "value", None, ">", 3.0, None),
    ],
)
def test_a_threshold_parses_into_its_parts(text, aggregation, percentile, op, value, unit):
    """Each aggregation, operator and unit parses, and the value is converted."""
    threshold = parse_threshold(text)
    assert threshold == Threshold(text, aggregation, percentile, op, value, unit)


@pytest.mark.parametrize(
    ("tight", "spaced"),
    [
        ("p(95)<300ms", "p(95) < 300ms"),
        ("p( 95 )  <  300 ms", "p(95) < 300ms"),
        ("\trate>=0.5\n", "rate >= 0.5"),
        ("value==open", "value == open"),
        ("count!=0", "count != 0"),
    ],
)
def test_whitespace_between_tokens_is_optional(tight, spaced):
    """Spaces, tabs and newlines between tokens change nothing but the text."""
    assert fields(parse_threshold(tight)) == fields(parse_threshold(spaced))


def test_the_text_is_kept_stripped():
    """`text` is the threshold as written, without surrounding whitespace."""
    assert parse_threshold("  p(95)<300ms \n").text == "p(95)<300ms"


@pytest.mark.parametrize(
    ("one", "other"),
    [("max < 300ms", "max < 0.3s"), ("max < 1500ms", "max < 1.5s"), ("max < 2m", "max < 120s")],
)
def test_equal_durations_convert_to_the_same_float(one, other):
    """`300ms` and `0.3s` give the very same number of seconds, so comparisons agree."""
    assert parse_threshold(one).value == parse_threshold(other).value


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("", 0, "empty threshold"),
        ("   ", 3, "empty threshold"),
        ("p95 < 300ms", 0, "unknown aggregation 'p95'; did you mean 'p(95)'?"),
        ("p99.9 < 1s", 0, "did you mean 'p(99.9)'?"),
        ("avrg < 3", 0, "unknown aggregation 'avrg'; did you mean 'avg'?"),
        ("cnt == 0", 0, "unknown aggregation 'cnt'; did you mean 'count'?"),
        ("mean < 3", 0, "did you mean 'avg'?"),
        ("median < 3", 0, "did you mean 'med'?"),
        ("percentile < 3", 0, "did you mean 'p(95)'?"),
        ("bogus < 3", 0, "use one of count, rate, value"),
        ("< 3", 0, "expected an aggregation"),
        ("p < 3", 0, "'p' needs a percentile in parentheses"),
        ("p() < 3", 2, "expected a percentile between 0 and 100"),
        ("p(0) < 3", 2, "percentile 0 is out of range"),
        ("p(100.5) < 3", 2, "percentile 100.5 is out of range"),
        ("p(95 < 3", 5, "expected ')' after 'p(95'"),
        ("p(95) 300ms", 6, "expected an operator (<, <=, >, >=, ==, !=) after 'p(95)'"),
        ("rate = 0.9", 5, "unknown operator '='; did you mean '=='?"),
        ("rate => 0.9", 5, "did you mean '>='?"),
        ("rate =< 0.9", 5, "did you mean '<='?"),
        ("rate <> 0.9", 5, "did you mean '!='?"),
        ("rate <<= 0.9", 5, "unknown operator '<<='; use one of"),
        ("avg <", 5, "expected a number or a word after '<', found the end"),
        ("avg < (3)", 6, "found '(3)'"),
        ("count > -1", 8, "cannot be negative"),
        ("count > +1", 8, "takes no '+' sign"),
        ("avg < 1e3", 7, "without an exponent"),
        ("avg < 300 msec", 10, "unknown unit 'msec'; did you mean 'ms'?"),
        ("avg < 3 seconds", 8, "did you mean 's'?"),
        ("avg < 300MS", 9, "did you mean 'ms'?"),
        ("avg < 3h", 7, "unknown unit 'h'; use one of ms, s, m, %"),
        ("count < 3ms", 9, "a count takes no unit"),
        ("rate < 3s", 8, "a rate is a fraction, not a duration"),
        ("rate < 95", 7, "did you mean '95%'?"),
        ("rate < 150%", 7, "cannot exceed 100%"),
        ("p(95) < 30%", 10, "p(N) is a duration"),
        ("avg < 30%", 8, "avg is a duration"),
        ("value < open", 8, "only be compared with == or !="),
        ("count == open", 9, "can only be compared as 'value == open'"),
        ("value == Open", 9, "did you mean 'open'?"),
        ("value == open2", 9, "'open2' is not a value"),
        ("p(95) < 300ms extra", 14, "unexpected 'extra' after the value"),
        ("p(95) < 300ms, avg < 2", 13, "write one threshold per list item"),
        ("rate > 0.9 0.8", 11, "unexpected '0.8'"),
    ],
)
def test_a_mistake_is_one_line_naming_the_problem_and_its_column(text, column, message):
    """Each mistake raises ThresholdError with a one-line message and where it starts."""
    with pytest.raises(ThresholdError) as caught:
        parse_threshold(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.column == column


def test_a_threshold_error_is_a_usage_error_of_one_tree():
    """A bad threshold is the user's input: a UsageError, exit code 2, and no ValueError.

    Under two trees, an `except ValueError` meant for a misfit at evaluation (or for any
    bad number) would also have caught the user's typo, and called it something else.
    """
    with pytest.raises(ThresholdError) as caught:
        parse_threshold("p95 < 3")
    assert isinstance(caught.value, UsageError)
    assert not isinstance(caught.value, ValueError)
    assert caught.value.exit_code == EXIT_USAGE


@pytest.mark.parametrize(
    ("scalar", "value", "text"),
    [
        ("open", "open", "value == open"),
        (" half_open ", "half_open", "value == half_open"),
        (20, 20.0, "value == 20"),
        (0, 0.0, "value == 0"),
        (0.5, 0.5, "value == 0.5"),
        ("20", 20.0, "value == 20"),
        ("300ms", 0.3, "value == 300ms"),
    ],
)
def test_a_bare_scalar_means_equality(scalar, value, text):
    """`breaker.state: open` and `calls: 20` stand for `value == <scalar>`."""
    threshold = equality(scalar)
    assert (threshold.aggregation, threshold.op, threshold.value) == ("value", "==", value)
    assert threshold.text == text


@pytest.mark.parametrize(
    ("scalar", "column", "message"),
    [
        (True, 0, "'true' is a yes/no value"),
        (-1, 0, "cannot be negative"),
        (float("nan"), 0, "not a finite number"),
        (float("inf"), 0, "not a finite number"),
        ("Open", 0, "did you mean 'open'?"),
        ("", 0, "expected a number or a word"),
        ("open now", 5, "unexpected 'now'"),
        ("p(95) < 300ms", 0, "is a threshold, not a value; write it as a list item"),
    ],
)
def test_a_bad_scalar_says_why_with_a_column_in_the_scalar(scalar, column, message):
    """A scalar that is no word or number >= 0 fails, its column counted within the scalar."""
    with pytest.raises(ThresholdError) as caught:
        equality(scalar)
    assert message in str(caught.value)
    assert caught.value.column == column


@pytest.mark.parametrize(
    ("text", "canonical", "aggregation_text", "value_text"),
    [
        ("p(95)<300ms", "p(95) < 300ms", "p(95)", "300ms"),
        ("p( 99.90 ) <= 1.5 s", "p(99.9) <= 1.5s", "p(99.9)", "1.5s"),
        ("rate>90%", "rate > 90%", "rate", "90%"),
        ("value==open", "value == open", "value", "open"),
    ],
)
def test_a_threshold_prints_canonically(text, canonical, aggregation_text, value_text):
    """`str()` spaces the tokens and spells the value as written."""
    threshold = parse_threshold(text)
    assert str(threshold) == canonical
    assert threshold.aggregation_text == aggregation_text
    assert threshold.value_text == value_text


@pytest.mark.parametrize(
    ("threshold", "text"),
    [
        (Threshold("built", "count", None, "==", 3.0, None), "count == 3"),
        (Threshold("built", "p", 95.0, "<", 0.3, "ms"), "p(95) < 300ms"),
        (Threshold("built", "max", None, "<", 120.0, "m"), "max < 2m"),
        (Threshold("built", "rate", None, ">", 0.9, "%"), "rate > 90%"),
        (Threshold("built", "value", None, "==", "open", None), "value == open"),
    ],
)
def test_a_hand_built_threshold_still_prints(threshold, text):
    """A Threshold made without the parser spells its value back in its unit."""
    assert str(threshold) == text


@pytest.mark.parametrize(
    ("number", "text"),
    [(95.0, "95"), (99.9, "99.9"), (0.3, "0.3"), (1e-07, "0.0000001"), (1e20, "1" + "0" * 20)],
)
def test_numbers_print_without_an_exponent(number, text):
    """The grammar has no exponents, so printed numbers never use one."""
    assert format_number(number) == text
    assert float(text) == number


def error_of(text):
    """The ThresholdError that parsing `text` raises, or None when it parses."""
    try:
        parse_threshold(text)
    except ThresholdError as exc:
        return exc
    return None


numbers = st.decimals(min_value=0, max_value=10_000, places=3, allow_nan=False).map(str)
thresholds = st.one_of(
    st.builds(
        "{} {} {}{}".format,
        st.sampled_from(["avg", "min", "med", "max", "p(95)", "p(99.9)", "p(0.5)"]),
        st.sampled_from(OPERATORS),
        numbers,
        st.sampled_from(["", "ms", "s", "m"]),
    ),
    st.builds(
        "rate {} {}".format,
        st.sampled_from(OPERATORS),
        st.sampled_from(["0", "0.5", "1", "0.125", "99%", "12.5%"]),
    ),
    st.builds("count {} {}".format, st.sampled_from(OPERATORS), numbers),
    st.builds(
        "value {} {}".format,
        st.sampled_from(["==", "!="]),
        st.sampled_from(["open", "closed", "half_open", "x_"]),
    ),
)


@given(thresholds)
def test_printing_and_parsing_again_round_trips(text):
    """`parse(str(t))` is `t` again, whatever the spacing it was written with."""
    threshold = parse_threshold(text)
    assert fields(parse_threshold(str(threshold))) == fields(threshold)
    assert fields(parse_threshold(text.replace(" ", ""))) == fields(threshold)


@given(st.text(max_size=40))
def test_the_parser_raises_only_threshold_errors(text):
    """Any text at all parses or raises ThresholdError, with a column inside the text."""
    error = error_of(text)
    if error is not None:
        assert 0 <= error.column <= len(text)
        assert "\n" not in str(error)


pieces = [*AGGREGATIONS, *OPERATORS, "(", ")", ".", " ", "9", "-", "e", "ms", "%", "open"]


@given(st.lists(st.sampled_from(pieces), max_size=12).map("".join))
def test_near_miss_texts_raise_only_threshold_errors(text):
    """Texts made of the grammar's own pieces, shuffled, never crash the parser."""
    error = error_of(text)
    assert error is None or 0 <= error.column <= len(text)
