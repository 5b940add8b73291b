"""What a value in a damaged file may become: wild values, and values a user might mean.

Wild values are at or past every kind of limit: integers past a C long or Python's
4,300-digit conversion, floats that are NaN, infinite or subnormal, numbers spelt in
other scripts or bases, durations and thresholds gone wrong, text with markup, escapes,
surrogates or nothing at all, YAML tags safe and unsafe, and nesting deeper than any
parser's recursion. Plausible values are what a hurried user types: small numbers, valid
durations and thresholds, the breaker's states.
"""

from __future__ import annotations

import copy
from typing import Final

from documents import Pairs, Plain, Raw, Tagged
from hypothesis import strategies as st

# The tables are data: one short item after another, as they would be typed.
# fmt: off
NUMBER_TEXTS: Final = (
    "0", "-0", "-1", "1", "-1.5", "0.0", "1e-9", "5e-324", "1e308", "1e400", "-1e400",
    "1e15", "1e16", "86400", "86400.0001", "86401", "1000000", "1000001", "10000", "10001",
    "2147483648", "9223372036854775807", "9223372036854775808", "18446744073709551616",
    "9" * 400, "-" + "9" * 400, "9" * 5000, ".nan", ".NaN", ".inf", "-.inf", "nan", "inf",
    "Infinity", "NaN", "0x10", "0o17", "0b101", "017", "1_000", "1:30", "190:20:30", "+5",
    "1.", ".5", "1e3", "1E+3", "\u0663", "\uff11\uff10", "\u00b2", "\u0b67", "1\u00a0000",
    "\u00bd",
)
# Where whole numbers stop: at a bound of ours, of a C long, of a float's exact integers.
EDGE_INTEGERS: Final = (0, 1, -1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**15, 10**16)
UNITS: Final = (
    "", "s", "ms", "m", "h", "d", "us", "\u00b5s", " s", "S", "sec", "min", "ms ms", "%",
)
AGGREGATIONS: Final = (
    "p(95)", "p(0)", "p(100)", "p(101)", "p(-1)", "p(nan)", "p(1e400)", "p(99.9)", "p()",
    "p(95", "avg", "min", "max", "med", "count", "rate", "value", "", "p(95) p(95)",
)
OPERATORS: Final = ("<", "<=", "==", ">", ">=", "!=", "=", "<>", "===", "=<", "<<", "")
TAGS: Final = (
    "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary", "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:merge", "tag:yaml.org,2002:value",
    "tag:yaml.org,2002:python/object:os.system", "tag:yaml.org,2002:python/name:os.system",
    "tag:yaml.org,2002:python/object/apply:os.system", "!local", "tag:example.com,2026:x",
)
SEQUENCE_TAGS: Final = (
    "tag:yaml.org,2002:omap", "tag:yaml.org,2002:pairs", "tag:yaml.org,2002:set",
    "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map", "tag:yaml.org,2002:python/tuple",
)
TAG_TEXTS: Final = (
    "2001-12-14x", "2001-13-01", "2001-12-14t21:59:43.10-05:00", "0001-01-01", "9999-12-31",
    "maybe", "0x", "0b", "=", "", "~", "aGVsbG8=", "!!!", "1:2:3", ".nan", "yes", "on",
)
TEXTS: Final = (
    "", " ", "[bold red]X[/]", "[/]", "[link=http://evil.example]x[/link]",
    "\x1b]0;pwned\x07\x1b[2J", "\u202eevil", "e\u0301", "\U0001f4a5", "\ud800",
    "caf\udce9",  # a byte that was not UTF-8, as Python reads a file name or an argument
    "\x00", "\t", "\r\n", "~", "null", "yes", "<<", "&a", "*a", "%s %d {}", "embedded",
    "http://user:pw@host/?token=s3cr3t", "http://[::1", "file:///etc/passwd", "/get:1",
    "/status/200:0,500:0", "/get:1e400,/get:1e400", "/delay/86401:1",
    "/retry-after/99999999999:1", "/unstable?failure_rate=nan&seed=-1:1", "200,99", "1xx",
    "open", "closed", "half_open", "forced_open", "OPEN", "x" * 300,
)
KEYS: Final = (
    "version", "title", "description", "seed", "target", "defaults", "steps", "finally",
    "name", "invoke", "delay", "error", "pause", "state", "force-open", "force_open",
    "reset", "policies", "expect", "count", "concurrency", "mix", "seconds", "status",
    "reason", "timeout", "retry", "rate_limiter", "bulkhead", "breaker", "attempt", "total",
    "min_attempt", "attempts", "base_delay", "max_delay", "honor_retry_after",
    "max_retry_after", "rate", "burst", "max_wait", "max_concurrent", "max_queue",
    "failure_threshold", "failure_rate_threshold", "window_size", "minimum_calls",
    "slow_call_duration", "slow_call_rate_threshold", "open_for", "half_open_max_calls",
    "half_open_max_wait", "threshold", "strict", "abort_on_fail", "breaker.state",
    "latency", "latency./get", "fallback.timeout", "outcome.success",
    "attempts.failed.timeout", "bulkhead.peak", "throughput", "elapsed", "breaker.opened",
    "Title", "open", "", "format", "fail_count", "window", "opened_at", "half_open_since",
    "probes_succeeded", "transitions", "from", "to", "at", "kind", "schema_version",
    "updated_at", "\u00e9", "<<",
)
TIMES: Final = (
    "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59", "1970-01-01T00:00:00+00:00", "1969-12-31T23:59:59+00:00",
    "2026-02-30T00:00:00+00:00", "2026-01-01", "2026-01-01T25:00:00", "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00", "2999-01-01T00:00:00+00:00", "20260101T000000", "now", "",
    "2026-W01-1", "\u0662\u0660\u0662\u0666-01-01", "2026-01-01T00:00:00.123456789+00:00",
)
RAW_TEXTS: Final = (
    "*undefined", "&a 1", "!!python/object/apply:os.system ['true']", "{a: 1, a: 2}",
    "[1, 2", "{", "'unterminated", '"\\x00\\uD800"', "? [a, b]\n: c", "<<: *undefined",
    "!!binary ZZZ", "!!set {a, b}", "!!omap [a: 1, a: 2]", "|\n  block", ">-\n  folded",
    "- - - x", "&x [*x]", "\t", "---\n---", "...", "%YAML 1.1",
)
PLAUSIBLE_WORDS: Final = (
    "open", "closed", "half_open", "forced_open", "/get:1", "/status/500:1",
    "/delay/0.5:1,/get:2", "200,500", None, True, False,
)
# fmt: on


def numbers() -> st.SearchStrategy[object]:
    """Integers and floats, ordinary and extreme, as data and as text YAML resolves."""
    return st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(NUMBER_TEXTS).map(Plain),  # 5,000 digits: past what str() may write
        st.sampled_from(NUMBER_TEXTS),
        st.sampled_from(EDGE_INTEGERS),
    )


def number_texts() -> st.SearchStrategy[str]:
    """A number as a user might type it, well or badly."""
    return st.one_of(
        st.sampled_from(NUMBER_TEXTS),
        st.integers(min_value=-(10**6), max_value=10**20).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


def durations() -> st.SearchStrategy[str]:
    """`30s`, `300ms`, and everything near them."""
    return st.builds("{}{}".format, number_texts(), st.sampled_from(UNITS))


def thresholds() -> st.SearchStrategy[str]:
    """`p(95) < 300ms` in the k6 grammar, and its mistakes."""
    return st.builds(
        "{} {} {}{}".format,
        st.sampled_from(AGGREGATIONS),
        st.sampled_from(OPERATORS),
        number_texts(),
        st.sampled_from(UNITS),
    )


def texts() -> st.SearchStrategy[str]:
    """Text a title, a reason or a key may hold: markup, escapes, surrogates, emptiness."""
    return st.one_of(st.sampled_from(TEXTS), st.text(max_size=30), st.sampled_from(TIMES))


def tagged() -> st.SearchStrategy[Tagged]:
    """A scalar or a sequence with an explicit tag: safe ones, unsafe ones, local ones."""
    scalar_text = st.one_of(st.sampled_from(TAG_TEXTS), texts(), number_texts())
    return st.one_of(
        st.builds(Tagged, st.sampled_from(TAGS), scalar_text),
        st.builds(
            Tagged,
            st.sampled_from(SEQUENCE_TAGS),
            st.just(""),
            st.lists(st.one_of(scalar_text, st.integers()), max_size=3).map(tuple),
        ),
    )


def deep_nesting(*, yaml: bool) -> st.SearchStrategy[Raw]:
    """Lists (or, in YAML, mappings) nested 50 to 20,000 deep, as text."""
    kinds = ["list", "map"] if yaml else ["list"]
    return st.builds(
        lambda depth, kind: Raw(
            "[" * depth + "]" * depth if kind == "list" else "{a: " * depth + "1" + "}" * depth
        ),
        st.integers(min_value=50, max_value=20_000),
        st.sampled_from(kinds),
    )


def yaml_values(corpus: list[object]) -> st.SearchStrategy[object]:
    """Anything a scenario's value could be replaced by, the corpus's own parts included."""
    return st.one_of(
        st.sampled_from(corpus).map(copy.deepcopy),
        numbers(),
        durations(),
        thresholds(),
        texts(),
        st.sampled_from([None, True, False, [], Pairs()]),
        tagged(),
        deep_nesting(yaml=True),
        st.sampled_from(RAW_TEXTS).map(Raw),
    )


def json_values(corpus: list[object]) -> st.SearchStrategy[object]:
    """Anything a state file's value could be replaced by, the corpus's own parts included."""
    return st.one_of(
        st.sampled_from(corpus).map(copy.deepcopy),
        numbers(),
        st.sampled_from([*NUMBER_TEXTS[:25], "1E400", "-0.0", "1.0e-400"]).map(Raw),
        texts(),
        st.sampled_from(TIMES),
        st.text(alphabet=".xsX?", max_size=40),
        st.sampled_from([None, True, False, [], Pairs()]),
        deep_nesting(yaml=False),
    )


def plausible_values(corpus: list[object]) -> st.SearchStrategy[object]:
    """Values a user might mean: small numbers, valid durations and thresholds, the corpus.

    A file damaged with these is often still valid, so that `run` gets to run it.
    """
    return st.one_of(
        st.sampled_from(corpus).map(copy.deepcopy),
        st.integers(min_value=0, max_value=50),
        st.floats(min_value=0, max_value=10, allow_nan=False).map(lambda x: round(x, 3)),
        st.builds(
            "{}{}".format,
            st.integers(min_value=0, max_value=3000),
            st.sampled_from(["", "s", "ms", "m"]),
        ),
        st.builds(
            "{} {} {}".format,
            st.sampled_from(["count", "rate", "value", "avg", "min", "max", "p(95)", "p(50)"]),
            st.sampled_from(["<", "<=", "==", ">", ">=", "!="]),
            st.sampled_from(["0", "1", "0.5", "10", "300ms", "2s"]),
        ),
        st.sampled_from(PLAUSIBLE_WORDS),
    )


def keys(*, known_only: bool) -> st.SearchStrategy[object]:
    """What a key may be renamed to: a known key, or (if not `known_only`) anything."""
    known = st.sampled_from(KEYS)
    if known_only:
        return known
    return st.one_of(known, texts(), numbers(), st.sampled_from([None, True, []]))
