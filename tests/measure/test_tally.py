"""RunTally: each finished call counted as it ends, and nothing else of it kept."""

import tracemalloc

from resilience_cli.measure import RunTally
from resilience_cli.patterns import AttemptRecord, CallOutcome, Failure, OutcomeKind, Reason

FIVE_XX = Failure(Reason.HTTP_5XX, retryable=True)
TIMEOUT = Failure(Reason.TIMEOUT, retryable=True)


def outcome(kind, duration, *failures, reason=None):
    attempts = tuple(AttemptRecord(i + 1, 0.01, f) for i, f in enumerate(failures))
    return CallOutcome(kind, object(), reason, attempts, duration)


def test_calls_are_counted_by_endpoint_kind_and_reason():
    """Kinds, retries, attempts, failed attempts and fallbacks by reason, per endpoint."""
    tally = RunTally()
    tally.add("/get", outcome(OutcomeKind.SUCCESS, 0.01, None))
    tally.add("/status/500", outcome(OutcomeKind.RECOVERED, 0.2, FIVE_XX, None))
    tally.add(
        "/status/500",
        outcome(OutcomeKind.FALLBACK, 0.4, FIVE_XX, FIVE_XX, TIMEOUT, reason=Reason.TIMEOUT),
    )
    tally.add("/get", outcome(OutcomeKind.FAILED, 0.0, reason=Reason.BREAKER_OPEN))
    assert list(tally.endpoints) == ["/get", "/status/500"]
    get, errors = tally.endpoints["/get"], tally.endpoints["/status/500"]
    assert (get.calls, get.succeeded, get.failed, get.retries) == (2, 1, 1, 0)
    assert (errors.calls, errors.recovered, errors.fallbacks, errors.retries) == (2, 1, 1, 3)
    total = tally.total()
    assert (total.calls, total.succeeded, total.recovered, total.fallbacks, total.failed) == (
        4,
        1,
        1,
        1,
        1,
    )
    assert total.latencies.max == 0.4
    assert tally.calls == 4
    assert tally.attempts == 6
    assert tally.fallbacks_by_reason == ((Reason.TIMEOUT, 1), (Reason.BREAKER_OPEN, 1))
    assert tally.failed_attempts_by_reason == ((Reason.TIMEOUT, 1), (Reason.HTTP_5XX, 3))


def test_a_call_cut_short_counts_its_failed_attempts_not_a_call():
    """A call an interruption cut short adds its failed attempts and `cut_short`, no row."""
    tally = RunTally()
    tally.add_cut([Reason.TIMEOUT, Reason.TIMEOUT])
    tally.add_cut([])
    assert (tally.calls, tally.cut_short, tally.attempts) == (0, 2, 2)
    assert tally.failed_attempts_by_reason == ((Reason.TIMEOUT, 2),)
    assert tally.total().calls == 0


def test_the_total_follows_calls_added_after_it_was_read():
    """The `all` row is summed again once another call arrives."""
    tally = RunTally()
    tally.add("/get", outcome(OutcomeKind.SUCCESS, 0.1, None))
    assert tally.total().calls == 1
    tally.add("/get", outcome(OutcomeKind.SUCCESS, 0.3, None))
    assert (tally.total().calls, tally.total().latencies.max) == (2, 0.3)


def test_a_tally_keeps_no_call_only_its_numbers():
    """30,000 calls, each with attempts and a value, leave the tally under 1 MB.

    That is its counters and 8 bytes of duration per call; the calls themselves (their
    attempts, failures and values, hundreds of bytes each) are let go.
    """
    tally = RunTally()
    tracemalloc.start()
    try:
        for i in range(30_000):
            tally.add(f"/endpoint/{i % 3}", outcome(OutcomeKind.RECOVERED, i / 3e4, FIVE_XX, None))
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert tally.calls == 30_000
    assert kept < 1_000_000
