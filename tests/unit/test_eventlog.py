"""The decision log writes, line for line, what structlog wrote for it before."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import subprocess
import sys
from datetime import UTC, datetime

import structlog
from hypothesis import given
from hypothesis import strategies as st

from resilience_cli.eventlog import EventLog
from resilience_cli.patterns.events import (
    AttemptFailed,
    BreakerTransitioned,
    BulkheadQueued,
    CallFellBack,
    CallRejected,
    RateLimitWaited,
    RetryAbandoned,
    RetryScheduled,
)
from resilience_cli.virtual_time import VirtualClock

EVENTS = st.one_of(
    *(
        st.builds(kind)
        for kind in (
            AttemptFailed,
            BreakerTransitioned,
            BulkheadQueued,
            CallFellBack,
            CallRejected,
            RateLimitWaited,
            RetryAbandoned,
            RetryScheduled,
        )
    )
)
FIELD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.lists(st.integers())
)


def _structlog_lines(clock: VirtualClock, run_id: str, command: str) -> tuple[object, io.StringIO]:
    """The structlog logger the event log was written with, as the oracle."""
    out = io.StringIO()

    class Writer:
        def msg(self, message: str) -> None:
            out.write(f"{message}\n")

        info = warning = msg

    def timestamp(logger: object, method: str, event_dict: dict[str, object]) -> object:
        del logger, method
        event_dict["timestamp"] = datetime.fromtimestamp(clock.wall(), UTC).isoformat()
        return event_dict

    logger = structlog.wrap_logger(
        Writer(),
        processors=[
            structlog.processors.add_log_level,
            timestamp,
            structlog.processors.JSONRenderer(sort_keys=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        context_class=dict,
        cache_logger_on_first_use=True,
    ).bind(run_id=run_id, command=command)
    return logger, out


@given(
    events=st.lists(EVENTS, max_size=8),
    infos=st.lists(
        st.tuples(
            st.text(min_size=1),
            st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), FIELD_VALUES),
        ),
        max_size=3,
    ),
    run_id=st.text(),
    wall=st.floats(min_value=0, max_value=4e9),
)
def test_every_line_is_the_one_structlog_wrote(events, infos, run_id, wall):
    """Pattern events and run-level events render exactly as through structlog."""
    clock = VirtualClock(wall_origin=wall)
    ours_out = io.StringIO()
    ours = EventLog(ours_out, clock=clock, run_id=run_id, command="invoke")
    oracle, oracle_out = _structlog_lines(clock, run_id, "invoke")
    warnings = {"breaker.opened", "breaker.forced_open", "call.fell_back"}
    for event in events:
        ours(event)
        fields = {field.name: getattr(event, field.name) for field in dataclasses.fields(event)}
        method = oracle.warning if event.name in warnings else oracle.info  # type: ignore[attr-defined]
        method(event.name, **fields)
    for name, fields in infos:
        ours.info(name, **fields)
        oracle.info(name, **fields)  # type: ignore[attr-defined]
    assert ours_out.getvalue() == oracle_out.getvalue()


def test_a_line_reads_as_documented():
    """A line holds the run, the command, the fields, the event, the level and the time."""
    out = io.StringIO()
    log = EventLog(out, clock=VirtualClock(wall_origin=0.0), run_id="r1", command="error")
    log(BreakerTransitioned("closed", "open", "5 consecutive failures >= threshold 5, so OPEN"))
    line = json.loads(out.getvalue())
    assert list(line) == [
        "run_id",
        "command",
        "from_state",
        "to_state",
        "reason",
        "event",
        "level",
        "timestamp",
    ]
    assert line["event"] == "breaker.opened"
    assert line["level"] == "warning"
    assert line["timestamp"] == "1970-01-01T00:00:00+00:00"


def test_the_steering_commands_do_not_import_structlog_or_asyncio(tmp_path):
    """`force-open` and `reset` log their decision without structlog or asyncio."""
    probe = (
        "import sys\n"
        "from resilience_cli.cli import app\n"
        "for args in (['force-open'], ['reset']):\n"
        "    try:\n"
        "        app(args)\n"
        "    except SystemExit as exit:\n"
        "        assert exit.code in (0, None), exit.code\n"
        "print('HEAVY', [m for m in ('structlog', 'asyncio', 'pydantic') if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=60,
    )
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
    lines = (tmp_path / "logs" / "app.log").read_text().splitlines()
    assert [json.loads(line)["event"] for line in lines] == [
        "breaker.forced_open",
        "breaker.closed",
    ]
