"""Traces: record what the upstream did, read it back, and replay it to other policies.

- `_records.py`: the trace's events and its JSON-lines form (documented there);
- `recorder.py`: the `Recorder` seam a run tells, a file writer and an in-memory one;
- `reader.py`: reads a trace file back, refusing anything it cannot trust;
- `replay.py`: the replay upstream, which answers each request as the trace says.
"""

from resilience_cli.trace._records import (
    TRACE_FORMAT,
    TRACE_VERSION,
    Answer,
    AnswerKind,
    Arrival,
    Exchange,
)
from resilience_cli.trace.reader import Trace, TraceError, read_trace
from resilience_cli.trace.recorder import Recorder, Tee, TraceMemory, TraceWriter, request_name

__all__ = [
    "TRACE_FORMAT",
    "TRACE_VERSION",
    "Answer",
    "AnswerKind",
    "Arrival",
    "Exchange",
    "Recorder",
    "Tee",
    "Trace",
    "TraceError",
    "TraceMemory",
    "TraceWriter",
    "read_trace",
    "request_name",
]
