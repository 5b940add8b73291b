"""Reading a trace back: anything it cannot trust is one line naming the file and line."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resilience_cli.errors import EXIT_USAGE
from resilience_cli.trace import Answer, AnswerKind, TraceError, TraceWriter, read_trace

HEADER = '{"format": "resilience-trace", "version": 1, "source": "error"}\n'


def write(tmp_path, text: str):
    path = tmp_path / "t.jsonl"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_trace_reads_in_time_order(tmp_path):
    """Answers written as they ended come back sorted by when they began."""
    path = write(
        tmp_path,
        HEADER
        + '{"at": 0.5, "event": "arrival", "request": "GET /get"}\n'
        + '{"at": 2, "event": "answer", "request": "GET /get", "error": "timeout", "latency": 2}\n'
        + '{"at": 0.5, "event": "answer", "request": "GET /get", "status": 200, "latency": 1}\n',
    )
    trace = read_trace(path)
    assert trace.source == "error"
    assert [e.at for e in trace.exchanges] == [0.5, 2.0]
    assert trace.exchanges[1].answer.kind is AnswerKind.TIMEOUT
    assert trace.duration == 2.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty, not a trace"),
        ("not json\n", ":1: not a JSON object"),
        ('{"format": "other", "version": 1}\n', ":1: not a resilience trace"),
        ('{"format": "resilience-trace", "version": 2}\n', ":1: version 2 is newer than"),
        ('{"format": "resilience-trace", "version": "1"}\n', ":1: version '1' is not"),
        (HEADER + "[1]\n", ":2: not a JSON object"),
        (HEADER + '{"at": -1, "event": "arrival", "request": "GET /"}\n', ":2: at must be"),
        (HEADER + '{"at": NaN, "event": "arrival", "request": "GET /"}\n', ":2: not a JSON"),
        (HEADER + '{"at": 1, "event": "arrival", "request": ""}\n', ":2: request must be"),
        (HEADER + '{"at": 1, "event": "left"}\n', ":2: event 'left' is not"),
        (
            HEADER
            + '{"at": 1, "event": "answer", "request": "GET /", "status": 700, "latency": 0}\n',
            ":2: status must be 100 to 599",
        ),
        (
            HEADER
            + '{"at": 1, "event": "answer", "request": "GET /", "error": "x", "latency": 0}\n',
            ":2: an answer has a status",
        ),
        (
            HEADER + '{"event": "truncated"}\n{"at": 1, "event": "arrival", "request": "GET /"}\n',
            ":3: an event after `truncated`",
        ),
        (HEADER + "x" * 5000 + "\n", ":2: a line longer than 4096"),
    ],
)
def test_a_bad_trace_is_one_usage_error_naming_the_line(tmp_path, text, message):
    """Corrupt, foreign or newer: a TraceError (exit 2) whose one line says where and why."""
    with pytest.raises(TraceError) as refused:
        read_trace(write(tmp_path, text))
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert refused.value.exit_code == EXIT_USAGE


def test_a_missing_or_binary_trace_is_named(tmp_path):
    """No file, or bytes that are not UTF-8: one line each."""
    with pytest.raises(TraceError, match="no such file"):
        read_trace(tmp_path / "none.jsonl")
    path = tmp_path / "b.jsonl"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(TraceError, match="not UTF-8"):
        read_trace(path)


events = st.lists(
    st.tuples(
        st.floats(0, 86_400, allow_nan=False),
        st.sampled_from(["GET /get", "GET /status/500", "POST /anything/é"]),
        st.one_of(
            st.none(),
            st.tuples(st.integers(100, 599), st.none()),
            st.tuples(st.none(), st.sampled_from(["timeout", "connect_error"])),
        ),
        st.floats(0, 86_400, allow_nan=False),
    ),
    max_size=30,
)


@given(events=events)
def test_a_line_as_written_reads_as_the_same_line_in_any_json_spelling(tmp_path_factory, events):
    """The writer's own spelling (a fast path) and another JSON spelling read alike."""
    folder = tmp_path_factory.mktemp("spellings")
    written, other = folder / "written.jsonl", folder / "other.jsonl"
    lines = [HEADER]
    writer = TraceWriter.create(written, origin=0.0, source="error")
    for at, request, answer, latency in events:
        method, path = request.split(" ")
        event: dict[str, object] = {"event": "arrival", "request": request, "at": round(at, 6)}
        if answer is None:
            writer.arrived(at, method, path)
        else:
            status, error = answer
            kind = AnswerKind.STATUS if status is not None else AnswerKind(error)
            writer.answered(at, method, path, Answer(kind, latency, status or 0))
            event |= {"event": "answer", "latency": round(latency, 6)}
            event |= {"status": status} if status is not None else {"error": error}
        lines.append(json.dumps(event, sort_keys=True, separators=(",", ":")) + "\n")
    writer.close()
    other.write_text("".join(lines), encoding="utf-8")
    assert read_trace(written) == read_trace(other)
