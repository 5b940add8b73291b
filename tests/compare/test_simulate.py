"""Replays in virtual time: each preset's rules against the same recorded upstream."""

import dataclasses

import pytest
from traces import FAILED, OK, phased

from resilience_cli.compare import PRESETS, Stage, compare, parse_presets, replay
from resilience_cli.patterns import (
    BreakerConfig,
    BreakerState,
    Policies,
    RetryConfig,
    TimeoutConfig,
)
from resilience_cli.trace import Answer, AnswerKind, Arrival, Exchange, Trace
from resilience_cli.trace.replay import HEALTHY, ReplayUpstream

BREAKER_ONLY = Policies(bulkhead=None, rate_limiter=None, timeout=None, retry=None)


def only(breaker: BreakerConfig | None = None, **patterns) -> Policies:
    return dataclasses.replace(BREAKER_ONLY, breaker=breaker, **patterns)


def test_the_replay_upstream_answers_as_the_latest_answer_at_or_before():
    """Before the first answer, the first; then the latest at or before; others, any."""
    trace = Trace(
        "t",
        (),
        (
            Exchange(1.0, "GET /a", OK),
            Exchange(5.0, "GET /a", FAILED),
            Exchange(7.0, "GET /b", OK),
        ),
    )
    upstream = ReplayUpstream(trace)
    assert upstream.answer("GET /a", 0.0) == OK
    assert upstream.answer("GET /a", 4.99) == OK
    assert upstream.answer("GET /a", 5.0) == FAILED
    assert upstream.answer("GET /a", 100.0) == FAILED
    assert upstream.answer("GET /never", 6.0) == FAILED  # any request's, at that time
    assert ReplayUpstream(Trace("t", (), ())).answer("GET /a", 1.0) == HEALTHY


def test_pybreaker_opens_after_five_failures_and_closes_after_its_minute():
    """1 call/s failing 10-40 s: the 5th failure (at 14 s) answers in 10 ms and opens it.

    Open for 60 s from 14.01 s, the call at 74 s is still refused; the one at 75 s is the
    probe, and its 200 closes it at 75.01 s.
    """
    result = compare(phased(), parse_presets("pybreaker"))
    (pybreaker,) = result.results
    assert pybreaker.time_to_open == pytest.approx(4.01)
    assert pybreaker.replayed.let_through == 5
    assert pybreaker.time_to_close == pytest.approx(75.01 - 40.0)
    assert pybreaker.replayed.fallbacks == 5 + 60  # the 5 failures, then 15 s to 74 s refused


def test_hystrix_never_sees_its_minimum_at_one_call_a_second():
    """Hystrix wants 20 calls in its 10 s window: at 1 call/s it never opens."""
    (hystrix,) = compare(phased(), parse_presets("hystrix")).results
    assert hystrix.time_to_open is None
    assert hystrix.replayed.let_through == 30
    assert hystrix.replayed.transitions == ()


def test_polly_needs_a_hundred_calls_in_thirty_seconds():
    """At 10 calls/s Polly's 100-call minimum is met, and 10 % failures open it."""
    (polly,) = compare(phased(rate=10.0), parse_presets("polly")).results
    assert polly.time_to_open is not None
    assert polly.replayed.transitions[0][1] is BreakerState.OPEN


def test_the_same_trace_and_seed_give_the_same_numbers():
    """Replaying twice, every preset, jitter included: identical results."""
    trace = phased(rate=20.0, failing=(5.0, 60.0))
    presets = tuple(PRESETS.values())
    assert compare(trace, presets, seed=7) == compare(trace, presets, seed=7)


def test_another_seed_draws_other_jitter():
    """The seed is the retries' jitter: another one changes when retries go."""
    trace = phased(rate=20.0, failing=(5.0, 60.0))
    presets = parse_presets("resilience4j")
    first = compare(trace, presets, seed=1).results[0].replayed
    second = compare(trace, presets, seed=2).results[0].replayed
    assert first.p99 != second.p99


def one_call(answer: Answer) -> Stage:
    return Stage(Trace("t", (Arrival(0.0, "GET /x"),), (Exchange(0.0, "GET /x", answer),)))


def test_a_recorded_timeout_ends_at_the_attempt_timeout():
    """An upstream that did not answer: the 1 s timer ends each of 3 attempts."""
    hang = Answer(AnswerKind.TIMEOUT, 2.0)
    policies = only(
        timeout=TimeoutConfig(attempt=1.0, total=None, min_attempt=0.0),
        retry=RetryConfig(attempts=3, base_delay=0.0, max_delay=0.0),
    )
    replayed = replay(one_call(hang), policies)
    assert (replayed.sent, replayed.retries, replayed.wasted_retries) == (3, 2, 2)
    assert replayed.fallbacks == 1
    assert replayed.p50 == 3.0


def test_a_recorded_timeout_without_any_timer_ends_after_the_recorded_wait():
    """No attempt timeout and no deadline: the recorded 2 s wait, then a timeout."""
    replayed = replay(one_call(Answer(AnswerKind.TIMEOUT, 2.0)), only())
    assert replayed.p50 == 2.0
    assert replayed.fallbacks == 1


def test_a_slow_answer_past_the_deadline_is_not_retried():
    """A 5 s answer under a 3 s deadline: deadline_exceeded, no retry, at 3 s."""
    slow = Answer(AnswerKind.STATUS, 5.0, 200)
    policies = only(
        timeout=TimeoutConfig(attempt=None, total=3.0, min_attempt=0.0),
        retry=RetryConfig(attempts=3, base_delay=0.0, max_delay=0.0),
    )
    replayed = replay(one_call(slow), policies)
    assert (replayed.sent, replayed.retries, replayed.fallbacks, replayed.p50) == (1, 0, 1, 3.0)
    assert replayed.let_through == 0  # the upstream did not fail: it was slow


def test_a_call_the_breaker_refuses_is_served_by_the_fallback_without_a_retry():
    """Forced by a 1-failure threshold: the second call is refused at once, never sent."""
    trace = Trace(
        "t",
        (Arrival(0.0, "GET /x"), Arrival(1.0, "GET /x")),
        (Exchange(0.0, "GET /x", FAILED),),
    )
    policies = only(
        BreakerConfig(failure_threshold=1, failure_rate_threshold=None),
        retry=RetryConfig(attempts=3, base_delay=0.0, max_delay=0.0),
    )
    replayed = replay(Stage(trace), policies)
    assert replayed.sent == 1  # the first call's retry and the second call: refused
    assert replayed.fallbacks == 2
    assert [state for _, state in replayed.transitions] == [BreakerState.OPEN]


def test_time_to_close_is_zero_when_it_never_opened_and_none_when_it_stays_open():
    """Healthy throughout: nothing to time; open at the end of the trace: never closed."""
    healthy = compare(phased(failing=(0.0, 0.0)), parse_presets("ours")).results[0]
    assert (healthy.time_to_open, healthy.time_to_close) == (None, None)
    stuck = compare(phased(seconds=50, failing=(10.0, 45.0)), parse_presets("pybreaker"))
    assert stuck.results[0].time_to_close is None
