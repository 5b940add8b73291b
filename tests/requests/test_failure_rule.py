import random

import httpx
import pytest

from resilience_cli.client import FALLBACK, HttpClassifier, ResilientClient
from resilience_cli.failure_rule import DEFAULT_RULE, parse_fail_on, parse_ok_status
from resilience_cli.patterns import (
    BreakerConfig,
    BreakerState,
    OutcomeKind,
    Pipeline,
    Policies,
    Reason,
    TimeoutConfig,
)
from resilience_cli.request import Request
from resilience_cli.targets import InProcessTarget


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (200, None),
        (404, None),
        (429, (Reason.HTTP_429, True)),
        (500, (Reason.HTTP_5XX, True)),
        (503, (Reason.HTTP_5XX, True)),
    ],
)
def test_the_default_rule_fails_5xx_and_429(status, failure):
    """By default 5xx and 429 fail (and may be retried); any other answer succeeds."""
    found = DEFAULT_RULE.status_failure(status)
    assert (found if found is None else found[:2]) == failure


def test_fail_on_reads_classes_codes_and_transport():
    """`--fail-on 4xx,503,timeout` fails every 4xx, 503 and timeouts: not 500, not errors."""
    rule = parse_fail_on("4xx, 503 ,timeout")
    assert rule.status_failure(404) == (
        Reason.UNEXPECTED_STATUS,
        False,
        "HTTP 404: fails by --fail-on rule (4xx, 503)",
    )
    timeout_status = rule.status_failure(408)
    assert timeout_status is not None
    assert timeout_status[1] is True
    assert rule.status_failure(503) is not None
    assert rule.status_failure(500) is None
    assert (rule.timeout, rule.connect) == (True, False)
    assert rule.describe() == "4xx, 503, timeout (--fail-on)"


@pytest.mark.parametrize("text", ["5xx,teapot", "3xx", "199", "600", "5xxx", "\u0665\u0660\u0660"])
def test_fail_on_refuses_what_it_does_not_know(text):
    """An item outside 5xx, 4xx, a status 200 to 599, timeout and connect is refused."""
    with pytest.raises(ValueError, match="is not one of 5xx, 4xx"):
        parse_fail_on(text)


def test_ok_status_decides_every_status_of_its_request():
    """With `ok_status`, the listed statuses succeed (a 404 too) and any other fails, 200 too."""
    rule = DEFAULT_RULE.for_request("lookup", frozenset({201, 404}))
    assert rule.status_failure(404) is None
    assert rule.status_failure(200) == (
        Reason.UNEXPECTED_STATUS,
        False,
        "HTTP 200: not in ok_status [201, 404] of 'lookup'",
    )
    bad_gateway = rule.status_failure(502)
    assert bad_gateway is not None
    assert bad_gateway[0] is Reason.HTTP_5XX
    assert DEFAULT_RULE.for_request("x", None) is DEFAULT_RULE


@pytest.mark.parametrize("value", [[], [99], [600], [True], ["200"]])
def test_ok_status_takes_statuses_only(value):
    """`ok_status` lists statuses from 100 to 599, at least one."""
    with pytest.raises(ValueError, match="ok_status"):
        parse_ok_status(value)


def client_with(clock, rule, policies=None):
    pipeline = Pipeline.from_policies(
        policies or Policies(rate_limiter=None, bulkhead=None),
        clock=clock,
        seed=random.Random(3),
        fallback=FALLBACK,
        classifier=HttpClassifier(clock, rule),
    )
    return ResilientClient(pipeline, InProcessTarget(0, clock.wall))


async def test_a_request_with_ok_status_is_judged_by_it(clock):
    """A 404 in `ok_status` succeeds; the same 404 elsewhere in the run does too (the default)."""
    client = client_with(clock, parse_fail_on("4xx,5xx"))
    lookup = Request("/status/404", name="lookup", ok_status=frozenset({200, 404}))
    judged = await client.send(lookup)
    plain = await client.send(Request("/status/404"))
    await client.aclose()
    assert judged.kind is OutcomeKind.SUCCESS
    assert plain.kind is OutcomeKind.FALLBACK
    assert plain.reason is Reason.UNEXPECTED_STATUS
    assert plain.retries == 0  # a 404 asked again is a 404 again
    assert "fails by --fail-on rule" in plain.detail


async def test_a_timeout_the_rule_leaves_out_falls_back_uncounted(clock):
    """Without `timeout` in the rule, a timeout falls back at once and the breaker ignores it."""
    policies = Policies(
        rate_limiter=None,
        bulkhead=None,
        timeout=TimeoutConfig(attempt=1.0, total=30.0),
        breaker=BreakerConfig(failure_threshold=1),
    )
    client = client_with(clock, parse_fail_on("5xx,429,connect"), policies)
    outcome = await client.send(Request("/delay/3"))
    breaker = client.pipeline.breaker
    await client.aclose()
    assert outcome.kind is OutcomeKind.FALLBACK
    assert outcome.reason is Reason.TIMEOUT
    assert len(outcome.attempts) == 1
    assert "not counted: 5xx, 429, connect (--fail-on)" in outcome.detail
    assert breaker is not None
    assert breaker.state is BreakerState.CLOSED
    assert breaker.transitions_since(0) == ()


async def test_the_default_rule_still_counts_and_retries_timeouts(clock):
    """Under the default rule the same timeout is retried and opens a breaker of threshold 1."""
    policies = Policies(
        rate_limiter=None,
        bulkhead=None,
        timeout=TimeoutConfig(attempt=1.0, total=30.0),
        breaker=BreakerConfig(failure_threshold=1),
    )
    client = client_with(clock, DEFAULT_RULE, policies)
    outcome = await client.send(Request("/delay/3"))
    breaker = client.pipeline.breaker
    await client.aclose()
    assert outcome.reason in {Reason.TIMEOUT, Reason.BREAKER_OPEN}
    assert breaker is not None
    assert breaker.state is BreakerState.OPEN


async def test_a_connect_error_the_rule_leaves_out_is_not_retried(clock):
    """Without `connect`, a refused connection is one attempt, not counted by the breaker."""
    rule = parse_fail_on("5xx")
    classify = HttpClassifier(clock, rule)
    failure = classify.error(httpx.ConnectError("refused"))
    assert (failure.reason, failure.retryable, failure.counted) == (
        Reason.CONNECT_ERROR,
        False,
        False,
    )
    assert HttpClassifier(clock).error(httpx.ConnectError("refused")).counted
