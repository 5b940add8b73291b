"""`--metrics-port` and `--metrics-file` for every command that makes calls.

`metered(...)` gives the run a `RunMeter` (or None when neither flag is given, and then
prometheus_client is never imported), serves it on loopback while the run goes, and
writes the final values when it ends, interrupted or not: the file is most useful
exactly when a run was cut short.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from resilience_cli.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from resilience_cli.metrics import RunMeter


@contextlib.contextmanager
def metered(port: int | None, file: Path | None) -> Iterator[RunMeter | None]:
    """A meter served at `port` and written to `file` at the end; None when both are off.

    Raises:
        UsageError: The port cannot be bound, or the file cannot be written.
    """
    if port is None and file is None:
        yield None
        return
    from resilience_cli.cli import output  # noqa: PLC0415
    from resilience_cli.metrics import RunMeter, serve_metrics, write_metrics  # noqa: PLC0415

    if file is not None:
        try:  # before the run, so that a wrong path costs no run
            with file.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise UsageError(f"--metrics-file {output.file_problem(file, exc)}") from None
    meter = RunMeter()
    server = None
    if port is not None:
        try:
            server = serve_metrics(meter.registry, port)
        except OSError as exc:
            raise UsageError(
                f"--metrics-port {port}: cannot listen on 127.0.0.1 ({exc.strerror or exc})"
            ) from None
        output.note(f"metrics at {server.url}")
    try:
        yield meter
    finally:
        if server is not None:
            server.close()
        if file is not None:
            try:
                write_metrics(meter.registry, file)
            except OSError as exc:
                raise UsageError(f"--metrics-file {output.file_problem(file, exc)}") from None
