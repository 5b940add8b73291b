"""The metric namespace: what a step measures, which names exist, and how thresholds judge."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resilience_cli.measure import Latencies, RunTally, summarize
from resilience_cli.measure.latencies import ALPHA
from resilience_cli.patterns import (
    AttemptRecord,
    BreakerState,
    BulkheadStatistics,
    CallOutcome,
    Failure,
    OutcomeKind,
    Policies,
    RateLimiterStatistics,
    Reason,
    Transition,
)
from resilience_cli.request import Request
from resilience_cli.run import CallResult, RunPlan, RunResult
from resilience_cli.scenarios import metrics as metrics_module
from resilience_cli.scenarios.metrics import (
    NAMESPACE,
    Counter,
    Gauge,
    Label,
    Trend,
    breaker_step_metrics,
    call_step_metrics,
    check_pairing,
    evaluate,
    known_metric,
    metric_names,
)
from resilience_cli.scenarios.thresholds import Threshold, equality, parse_threshold
from resilience_cli.state.breaker import BreakerView

GET = Request("/get")
ERROR = Request("/status/500")


def attempt(number, duration, reason=None):
    failure = None if reason is None else Failure(reason, retryable=True)
    return AttemptRecord(number, duration, failure)


def call(endpoint, kind, duration, *attempts, reason=None):
    outcome = CallOutcome(kind, None, reason, tuple(attempts), duration)
    return CallResult(endpoint, 0.0, outcome)


def tally(calls):
    counted = RunTally()
    for each in calls:
        counted.add(each.request.label, each.outcome)
    return counted


def view(state, fail_count=0):
    return BreakerView(state, fail_count, None, None)


def transition(from_state, to_state, at=1.0):
    return Transition(from_state, to_state, at, "test")


# Five calls: two successes, one recovery after a 5xx, two fallbacks (a 5xx run and an
# open breaker). The breaker opened during the step.
CALLS = (
    call(GET, OutcomeKind.SUCCESS, 0.010, attempt(1, 0.010)),
    call(GET, OutcomeKind.SUCCESS, 0.030, attempt(1, 0.030)),
    call(
        ERROR,
        OutcomeKind.RECOVERED,
        0.200,
        attempt(1, 0.050, Reason.HTTP_5XX),
        attempt(2, 0.050),
    ),
    call(
        ERROR,
        OutcomeKind.FALLBACK,
        0.400,
        attempt(1, 0.050, Reason.HTTP_5XX),
        attempt(2, 0.050, Reason.HTTP_5XX),
        attempt(3, 0.050, Reason.HTTP_5XX),
        reason=Reason.HTTP_5XX,
    ),
    call(ERROR, OutcomeKind.FALLBACK, 0.001, reason=Reason.BREAKER_OPEN),
)
OPENED = (transition(BreakerState.CLOSED, BreakerState.OPEN),)


def run(calls=CALLS, *, bulkhead=None, limiter=None, elapsed=2.0, transitions=OPENED):
    result = RunResult(
        plan=RunPlan(tuple(c.request for c in calls), Policies(), concurrency=2, seed=7),
        tally=tally(calls),
        before=view(BreakerState.CLOSED),
        after=view(BreakerState.OPEN, fail_count=3),
        transitions=transitions,
        bulkhead=bulkhead,
        rate_limiter=limiter,
        peak_in_flight=2,
        elapsed=elapsed,
        interrupted=False,
        target="test",
    )
    return call_step_metrics(summarize(result, "invoke"), result.tally)


STEP = run()


@pytest.mark.parametrize(
    ("name", "metric"),
    [
        ("calls", Counter(5, 5)),
        ("outcome.success", Counter(2, 5)),
        ("outcome.recovered", Counter(1, 5)),
        ("outcome.fallback", Counter(2, 5)),
        ("outcome.failed", Counter(0, 5)),
        ("outcome.ok", Counter(3, 5)),
        ("fallback.http_5xx", Counter(1, 5)),
        ("fallback.breaker_open", Counter(1, 5)),
        ("fallback.rate_limited", Counter(0, 5)),
        ("attempts", Gauge(7)),
        ("attempts.per_call", Gauge(1.4)),
        ("attempts.failed.http_5xx", Gauge(4)),
        ("attempts.failed.timeout", Gauge(0)),
        ("retries", Gauge(3)),
        ("retries.per_call", Gauge(0.6)),
        ("latency", Trend(Latencies((0.010, 0.030, 0.200, 0.400, 0.001)))),
        ("latency./get", Trend(Latencies((0.010, 0.030)))),
        ("latency./status/500", Trend(Latencies((0.200, 0.400, 0.001)))),
        ("concurrency.peak", Gauge(2)),
        ("throughput", Gauge(2.5)),
        ("breaker.state", Label("open")),
        ("breaker.state_before", Label("closed")),
        ("breaker.fail_count", Gauge(3)),
        ("breaker.transitions", Gauge(1)),
        ("breaker.opened", Gauge(1)),
        ("breaker.closed", Gauge(0)),
        ("elapsed", Gauge(2.0, seconds=True)),
    ],
)
def test_a_call_step_measures_each_name(name, metric):
    """invoke/delay/error steps yield the namespace's counters, gauges, trends and labels."""
    assert STEP[name] == metric


def test_every_reason_is_present_with_zero_counts_too():
    """`fallback.<reason>` and `attempts.failed.<reason>` exist for every Reason."""
    for reason in Reason:
        assert f"fallback.{reason}" in STEP
        assert f"attempts.failed.{reason}" in STEP


def test_bulkhead_and_limiter_metrics_appear_only_when_those_patterns_are_on():
    """`bulkhead.*` and `rate_limiter.waits` are measured only with the pattern on."""
    assert not {"bulkhead.peak", "bulkhead.queued_peak", "rate_limiter.waits"} & STEP.keys()
    step = run(
        bulkhead=BulkheadStatistics(0, 0, peak_in_flight=4, peak_waiting=1, admitted=5, rejected=0),
        limiter=RateLimiterStatistics(level=1.0, granted=6, waited=2, rejected=0),
    )
    assert step["bulkhead.peak"] == Gauge(4)
    assert step["bulkhead.queued_peak"] == Gauge(1)
    assert step["rate_limiter.waits"] == Gauge(2)


def test_a_call_step_measures_exactly_the_names_it_claims():
    """With every pattern on, a call step measures every concrete name, and no other."""
    step = run(
        bulkhead=BulkheadStatistics(0, 0, 1, 0, 1, 0),
        limiter=RateLimiterStatistics(1.0, 1, 0, 0),
    )
    endpoints = {name for name in step if name.startswith("latency.")}
    assert set(step) - endpoints == set(metric_names(call_step=True))


def test_a_step_without_calls_has_zero_rates_and_empty_trends():
    """Zero calls: rates are 0, per-call gauges 0, latency has no samples."""
    step = run((), elapsed=0.0, transitions=())
    assert step["calls"] == Counter(0, 0)
    assert step["attempts.per_call"] == Gauge(0.0)
    assert step["latency"] == Trend(Latencies())
    assert evaluate("outcome.ok", parse_threshold("rate == 0"), step).passed


def test_a_breaker_step_measures_the_breaker_and_elapsed_only():
    """state/force-open/reset/pause steps yield breaker.* and elapsed."""
    transitions = (
        transition(BreakerState.OPEN, BreakerState.HALF_OPEN),
        transition(BreakerState.HALF_OPEN, BreakerState.CLOSED),
        transition(BreakerState.CLOSED, BreakerState.FORCED_OPEN),
    )
    step = breaker_step_metrics(
        view(BreakerState.OPEN, 5), view(BreakerState.FORCED_OPEN), transitions, 0.25
    )
    assert step == {
        "breaker.state": Label("forced_open"),
        "breaker.state_before": Label("open"),
        "breaker.fail_count": Gauge(0),
        "breaker.transitions": Gauge(3),
        "breaker.opened": Gauge(0),
        "breaker.half_opened": Gauge(1),
        "breaker.closed": Gauge(1),
        "breaker.forced_open": Gauge(1),
        "elapsed": Gauge(0.25, seconds=True),
    }
    assert set(step) == set(metric_names(call_step=False))


@pytest.mark.parametrize(
    ("name", "call_step"),
    [
        ("calls", True),
        ("fallback.rate_limited", True),
        ("attempts.failed.deadline_exceeded", True),
        ("latency./get", True),
        ("latency./delay/3", True),
        ("breaker.state", True),
        ("breaker.state", False),
        ("breaker.forced_open", False),
        ("elapsed", False),
    ],
)
def test_a_known_name_is_accepted(name, call_step):
    """Names of the namespace, per-reason and per-endpoint names included, are valid."""
    assert known_metric(name, call_step=call_step) is None


@pytest.mark.parametrize(
    ("name", "call_step", "message"),
    [
        (
            "outcome.succes",
            True,
            "unknown metric 'outcome.succes'; did you mean 'outcome.success'?",
        ),
        ("fallback.ratelimited", True, "did you mean 'fallback.rate_limited'?"),
        ("Calls", True, "did you mean 'calls'?"),
        ("breaker.stat", False, "did you mean 'breaker.state'?"),
        ("requests", True, "did you mean 'calls'?"),
        ("outcome.short_circuited", True, "did you mean 'fallback.breaker_open'?"),
        ("outcome.error", True, "did you mean 'outcome.failed'?"),
        ("retry.attempts", True, "did you mean 'attempts'?"),
        ("breaker.transition.closed_to_open", True, "did you mean 'breaker.opened'?"),
        ("breaker.transition.open_to_half_open", False, "did you mean 'breaker.half_opened'?"),
        ("status.0", True, "status codes are counted by reason"),
        ("latency.", True, "name an endpoint after it, e.g. 'latency./get'"),
        ("latency/get", True, "did you mean 'latency./get'?"),
        ("zzz", True, "known metrics: calls, outcome.*, fallback.<reason>, attempts*"),
        ("zzz", False, "this step measures breaker.* and elapsed"),
        ("latency", False, "'latency' is measured only on steps that make calls"),
        ("latency./get", False, "measured only on steps that make calls"),
        ("fallback.timeout", False, "measured only on steps that make calls"),
    ],
)
def test_an_unknown_or_misplaced_name_gets_a_one_line_hint(name, call_step, message):
    """A typo gets a did-you-mean; a call metric on a breaker step says why it is absent."""
    problem = known_metric(name, call_step=call_step)
    assert problem is not None
    assert message in problem
    assert "\n" not in problem


@pytest.mark.parametrize(
    ("name", "threshold"),
    [
        ("calls", "count == 20"),
        ("outcome.ok", "rate > 90%"),
        ("fallback.rate_limited", "count == 0"),
        ("latency", "p(95) < 300ms"),
        ("latency./get", "max <= 2"),
        ("latency", "count >= 1"),
        ("attempts", "value <= 30"),
        ("elapsed", "value < 2s"),
        ("breaker.state", "value != open"),
    ],
)
def test_a_fitting_pairing_passes_the_static_check(name, threshold):
    """Thresholds whose aggregation, unit and value fit the metric's kind are fine."""
    assert check_pairing(name, parse_threshold(threshold)) is None


@pytest.mark.parametrize(
    ("name", "scalar"), [("calls", 20), ("breaker.state", "open"), ("attempts", 3)]
)
def test_bare_scalars_pair_with_counters_gauges_and_labels(name, scalar):
    """`calls: 20`, `attempts: 3` and `breaker.state: open` are valid shorthands."""
    assert check_pairing(name, equality(scalar)) is None


@pytest.mark.parametrize(
    ("name", "threshold", "message"),
    [
        ("calls", "p(95) < 3", "'calls' is a Counter; use count or rate, not p(95)"),
        ("outcome.ok", "avg < 3", "not avg"),
        ("calls", "value == 3ms", "'calls' is a count; drop 'ms'"),
        ("calls", "value == open", "'calls' is a number, not a word"),
        ("latency", "rate > 0.5", "'latency' is a Trend of durations"),
        ("latency", "value == 300ms", "one duration per call"),
        ("attempts", "p(95) < 3", "'attempts' is a single number; use 'value'"),
        ("attempts", "value < 3s", "'attempts' is a plain number; drop 's'"),
        ("elapsed", "value < 3", "'elapsed' is a duration; give the value a unit"),
        ("elapsed", "value < 30%", "use ms, s or m, not '%'"),
        ("breaker.state", "value < 3", "'breaker.state' is a word (closed, open, half_open"),
        ("breaker.state", "count == 1", "compare it as 'value == closed' or '!='"),
        ("breaker.state", "value == opne", "'breaker.state' is never 'opne'; did you mean 'open'?"),
        ("breaker.state", "value == xyzzy", "it is one of closed, open, half_open, forced_open"),
        ("outcome.succes", "rate > 0.5", "did you mean 'outcome.success'?"),
    ],
)
def test_a_misfit_pairing_is_caught_before_the_run(name, threshold, message):
    """Counter/Trend/Gauge/Label each refuse aggregations, units and values they cannot take."""
    problem = check_pairing(name, parse_threshold(threshold))
    assert problem is not None
    assert message in problem


def test_every_namespace_name_pairs_with_some_threshold():
    """Each metric of the namespace has a threshold that fits it (no dead names)."""
    samples = {
        Counter: "count >= 0",
        Trend: "p(95) < 1s",
        Gauge: "value >= 0",
        Label: "value != open",
    }
    for spec in NAMESPACE:
        name = spec.name.replace("<reason>", "timeout").replace("<endpoint>", "/get")
        threshold = "value >= 0s" if spec.seconds else samples[spec.kind]
        assert check_pairing(name, parse_threshold(threshold)) is None, name


@pytest.mark.parametrize(
    ("name", "threshold", "observed", "observed_text", "passed"),
    [
        ("calls", "count == 5", 5.0, "count=5", True),
        ("outcome.ok", "rate >= 0.6", 0.6, "rate=0.6", True),
        ("outcome.ok", "rate > 90%", 0.6, "rate=60%", False),
        ("outcome.failed", "rate == 0", 0.0, "rate=0", True),
        ("fallback.rate_limited", "count == 0", 0.0, "count=0", True),
        ("latency", "count == 5", 5.0, "count=5", True),
        ("latency", "p(95) < 300ms", 0.4, "p(95)=400ms", False),
        ("latency", "p(95) <= 400", 0.4, "p(95)=400ms", True),
        ("latency", "p(60) < 0.1s", 0.03, "p(60)=0.03s", True),
        # Percentiles come from a histogram within 0.5 % (measure.latencies): 30.046 ms.
        ("latency", "med < 31ms", 0.03, "med=30.046ms", True),
        ("latency", "min < 2ms", 0.001, "min=1ms", True),
        ("latency", "max < 1m", 0.4, "max=0.4s", True),
        ("latency./get", "avg == 20ms", 0.02, "avg=20ms", True),
        ("attempts", "value == 7", 7.0, "value=7", True),
        ("retries.per_call", "value <= 0.5", 0.6, "value=0.6", False),
        ("elapsed", "value < 2500ms", 2.0, "value=2000ms", True),
        ("breaker.state", "value == open", "open", "value=open", True),
        ("breaker.state_before", "value != closed", "closed", "value=closed", False),
    ],
)
def test_a_threshold_is_judged_against_the_step(name, threshold, observed, observed_text, passed):
    """The verdict aggregates the metric, converts units, compares, and says what it saw."""
    verdict = evaluate(name, parse_threshold(threshold), STEP)
    if isinstance(observed, float):
        assert verdict.observed == pytest.approx(observed, rel=ALPHA)
    else:
        assert verdict.observed == observed
    assert (verdict.observed_text, verdict.passed) == (observed_text, passed)


def test_a_bare_number_on_a_trend_means_milliseconds():
    """As in k6, `p(95) < 300` on latency is 300 ms, not 300 s."""
    step = {"latency": Trend(Latencies((0.5,)))}
    assert not evaluate("latency", parse_threshold("p(95) < 300"), step).passed
    assert evaluate("latency", parse_threshold("p(95) < 300s"), step).passed


def test_equality_on_a_rate_is_exact_and_rounding_never_hides_the_difference():
    """`rate == 0.667` fails for 2/3, and the text shows every digit, not a matching 0.667."""
    step = {"outcome.ok": Counter(2, 3)}
    verdict = evaluate("outcome.ok", parse_threshold("rate == 0.667"), step)
    assert not verdict.passed
    assert verdict.observed_text == "rate=0.6666666666666666"
    near = evaluate("outcome.ok", parse_threshold("rate > 0.5"), step)
    assert near.observed_text == "rate=0.667"


def test_exact_decimal_rates_compare_equal():
    """18 of 20 is `rate == 0.9` and `rate == 90%`: no float drift in either spelling."""
    step = {"outcome.ok": Counter(18, 20)}
    assert evaluate("outcome.ok", parse_threshold("rate == 0.9"), step).passed
    assert evaluate("outcome.ok", parse_threshold("rate == 90%"), step).passed


@pytest.mark.parametrize("threshold", ["p(95) < 300ms", "avg < 1s", "max >= 0", "med > 0"])
def test_a_trend_without_samples_has_no_data_and_fails(threshold):
    """Zero calls give no percentile: observed None, 'no data', failed (k6's rule)."""
    verdict = evaluate("latency", parse_threshold(threshold), {"latency": Trend(Latencies())})
    assert (verdict.observed, verdict.observed_text, verdict.passed) == (None, "no data", False)


def test_a_metric_the_step_did_not_measure_has_no_data():
    """An endpoint never called, or a bulkhead that is off, fails with 'no data'."""
    verdict = evaluate("latency./nowhere", parse_threshold("p(95) < 1s"), STEP)
    assert (verdict.observed, verdict.observed_text, verdict.passed) == (None, "no data", False)


def test_a_misfit_at_evaluation_raises_value_error():
    """Evaluation refuses a pairing the static check would have refused."""
    with pytest.raises(ValueError, match="Trend of durations"):
        evaluate("latency", parse_threshold("rate > 0.5"), STEP)


def test_a_verdict_carries_strictness_and_the_expected_text():
    """Advisory and abort flags pass through; expected_text is the operator and the value."""
    verdict = evaluate(
        "latency", parse_threshold("p(95)<300ms"), STEP, strict=False, abort_on_fail=True
    )
    assert (verdict.strict, verdict.abort_on_fail) == (False, True)
    assert verdict.expected_text() == "< 300ms"
    assert verdict.metric == "latency"


@given(st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=50))
def test_trend_aggregations_are_ordered(samples):
    """The aggregations keep their order: min <= med <= p(95) <= max, min <= avg <= max."""
    step = {"latency": Trend(Latencies(samples))}

    def observed(text):
        value = evaluate("latency", parse_threshold(text), step).observed
        assert isinstance(value, float)
        return value

    low, med, p95, high = (observed(f"{a} < 1") for a in ("min", "med", "p(95)", "max"))
    assert low <= med <= p95 <= high
    assert low <= observed("avg < 1") or math.isclose(low, observed("avg < 1"))
    assert observed("avg < 1") <= high or math.isclose(high, observed("avg < 1"))


def test_the_module_docstring_documents_every_name():
    """The README's metric table (the module docstring) lists the whole namespace."""
    doc = metrics_module.__doc__ or ""
    for spec in NAMESPACE:
        assert f"| `{spec.name}` | {spec.kind.__name__}" in doc, spec.name
    for reason in Reason:
        assert f"`{reason}`" in doc


def test_a_hand_built_word_threshold_with_an_order_fails_instead_of_crashing():
    """A Threshold built without the parser, `value < open`, simply fails on a Label."""
    threshold = Threshold("value < open", "value", None, "<", "open", None)
    assert not evaluate("breaker.state", threshold, STEP).passed
