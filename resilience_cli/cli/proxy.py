"""`resilience upstream proxy` and `upstream faults`: a fault-injecting proxy, and its switch.

`proxy --to URL` serves until Ctrl-C, with the faults its flags give, or those of its
`--phase` schedule over time; its control endpoint (`--control-port`, 8474 by default as
toxiproxy's API) takes new faults while it runs, from `upstream faults` or any HTTP
client, and those hold over the schedule until `upstream faults --clear`.
"""

from __future__ import annotations

from typing import Annotated, Final

import typer

from resilience_cli.cli.phases import phase_help
from resilience_cli.errors import ResilienceError, UsageError
from resilience_cli.limits import MAX_BANDWIDTH, MAX_SECONDS, MAX_SEED

CONTROL_PORT: Final = 8474
PROXY_PORT: Final = 8081
_FAULTS: Final = "Faults (each VALUE[:RATE], the rate from 0 to 1, 1 if left out)"

Latency = Annotated[
    str | None,
    typer.Option(
        "--latency",
        help="Seconds added before a request goes on, e.g. 0.2:0.5.",
        rich_help_panel=_FAULTS,
    ),
]
Jitter = Annotated[
    float,
    typer.Option(
        "--jitter",
        min=0,
        max=MAX_SECONDS,
        help="Seconds the latency varies by, up and down.",
        rich_help_panel=_FAULTS,
    ),
]
ErrorStatus = Annotated[
    str | None,
    typer.Option(
        "--error", help="A status the proxy answers itself, e.g. 503:0.3.", rich_help_panel=_FAULTS
    ),
]
Reset = Annotated[
    float,
    typer.Option(
        "--reset", min=0, max=1, help="Rate of connections reset.", rich_help_panel=_FAULTS
    ),
]
BlackHole = Annotated[
    float,
    typer.Option(
        "--black-hole",
        min=0,
        max=1,
        help="Rate of requests never answered (a timeout).",
        rich_help_panel=_FAULTS,
    ),
]
Bandwidth = Annotated[
    str | None,
    typer.Option(
        "--bandwidth", help="Bytes per second of the answers, e.g. 2000.", rich_help_panel=_FAULTS
    ),
]
FirstByte = Annotated[
    str | None,
    typer.Option(
        "--first-byte", help="Seconds before an answer's first byte, e.g. 1:0.2.",
        rich_help_panel=_FAULTS,
    ),
]  # fmt: skip


def fault_data(  # noqa: PLR0913 - one parameter per fault flag
    *,
    latency: str | None,
    jitter: float,
    error: str | None,
    reset: float,
    black_hole: float,
    bandwidth: str | None,
    first_byte: str | None,
) -> dict[str, float]:
    """The flags given, as the control endpoint's keys (only those the user set)."""
    data: dict[str, float] = {}
    for flag, key, text, high in (
        ("--latency", "latency", latency, MAX_SECONDS),
        ("--error", "status", error, 599),
        ("--bandwidth", "bandwidth", bandwidth, MAX_BANDWIDTH),
        ("--first-byte", "first_byte", first_byte, MAX_SECONDS),
    ):
        if text is not None:
            value, rate = _value_and_rate(flag, text, high)
            data[key] = value
            data[f"{key}_rate"] = rate
    if jitter:
        data["jitter"] = jitter
    if reset:
        data["reset_rate"] = reset
    if black_hole:
        data["black_hole_rate"] = black_hole
    return data


def _value_and_rate(flag: str, text: str, high: float) -> tuple[float, float]:
    value_text, _, rate_text = text.partition(":")
    try:
        value = float(value_text)
        rate = float(rate_text) if rate_text else 1.0
    except ValueError:
        raise UsageError(f"{flag} {text!r} must be VALUE or VALUE:RATE, e.g. 0.2:0.5") from None
    if not 0 <= value <= high:
        raise UsageError(f"{flag} {text!r}: the value must be 0 to {high:g}")
    if not 0 <= rate <= 1:
        raise UsageError(f"{flag} {text!r}: the rate must be 0 to 1")
    return value, rate


def proxy(  # noqa: PLR0913 - one parameter per flag
    *,
    to: Annotated[
        str, typer.Option("--to", help="The http:// URL of the service to stand in front of.")
    ],
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port (0: any free one).")
    ] = PROXY_PORT,
    control_port: Annotated[
        int,
        typer.Option(
            "--control-port", min=0, max=65535, help="Port of the control endpoint, on loopback."
        ),
    ] = CONTROL_PORT,
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=MAX_SEED, help="Seed of the faults' draws.")
    ] = 0,
    latency: Latency = None,
    jitter: Jitter = 0.0,
    error: ErrorStatus = None,
    reset: Reset = 0.0,
    black_hole: BlackHole = 0.0,
    bandwidth: Bandwidth = None,
    first_byte: FirstByte = None,
    phase: Annotated[
        list[str] | None,
        typer.Option("--phase", help=phase_help("the proxy"), show_default=False),
    ] = None,
) -> None:
    """Serve a fault-injecting proxy in front of --to until Ctrl-C."""
    from resilience_cli.cli import output, runtime  # noqa: PLC0415
    from resilience_cli.cli.phases import schedule_of  # noqa: PLC0415
    from resilience_cli.clock import SystemClock  # noqa: PLC0415
    from resilience_cli.proxy import FaultProxy, FaultSwitch, profile_from  # noqa: PLC0415

    data = fault_data(
        latency=latency, jitter=jitter, error=error, reset=reset, black_hole=black_hole,
        bandwidth=bandwidth, first_byte=first_byte,
    )  # fmt: skip
    schedule = schedule_of(phase or ())
    if schedule and data:
        # Flags would be faults set by hand, over the schedule: it would never show.
        raise UsageError("give fault flags or --phase, not both")
    clock = SystemClock()
    try:
        switch = FaultSwitch(profile_from(data), seed, schedule=schedule, clock=clock.monotonic)
        server = FaultProxy(to, host, port, switch=switch)
    except ValueError as exc:
        raise UsageError(f"--to {exc}" if "URL" in str(exc) else str(exc)) from None

    async def serve() -> None:
        from resilience_cli.proxy.control import ControlApp  # noqa: PLC0415
        from resilience_cli.upstream import UpstreamServer  # noqa: PLC0415

        async with server, UpstreamServer(ControlApp(server), "127.0.0.1", control_port) as control:
            output.note(
                f"proxying {server.base_url} -> {server.upstream.shown}"
                f" ({server.profile.describe()}); faults at {control.base_url}/faults"
                " (Ctrl-C stops it)"
            )
            if schedule:
                output.note(f"fault phases from now: {schedule}")
            import asyncio  # noqa: PLC0415

            await asyncio.get_running_loop().create_future()

    try:
        runtime.run(serve(), clock, on_interrupt="stopped")
    except OSError as exc:
        raise UsageError(f"cannot listen: {exc.strerror or exc}") from None


def faults(  # noqa: PLR0913 - one parameter per flag
    *,
    control: Annotated[
        str, typer.Option("--control", help="The proxy's control endpoint.")
    ] = f"http://127.0.0.1:{CONTROL_PORT}",
    clear: Annotated[
        bool,
        typer.Option(
            "--clear", help="Drop the faults set by hand: the --phase schedule holds (or none)."
        ),
    ] = False,
    keep: Annotated[
        bool, typer.Option("--keep", help="Change only the faults given; keep the others.")
    ] = False,
    json: Annotated[bool, typer.Option("--json", help="Print the proxy's answer as JSON.")] = False,
    latency: Latency = None,
    jitter: Jitter = 0.0,
    error: ErrorStatus = None,
    reset: Reset = 0.0,
    black_hole: BlackHole = 0.0,
    bandwidth: Bandwidth = None,
    first_byte: FirstByte = None,
) -> None:
    """Show or change the faults of a running proxy; no fault flag shows them."""
    import httpx  # noqa: PLC0415

    from resilience_cli.cli import output  # noqa: PLC0415

    data = fault_data(
        latency=latency, jitter=jitter, error=error, reset=reset, black_hole=black_hole,
        bandwidth=bandwidth, first_byte=first_byte,
    )  # fmt: skip
    method = "DELETE" if clear else ("PATCH" if keep else "PUT") if data else "GET"
    try:
        response = httpx.request(
            method, f"{control.rstrip('/')}/faults", json=data or None, timeout=5
        )
    except httpx.HTTPError as exc:
        # No proxy there: infrastructure (exit 3), not a bad flag.
        raise ResilienceError(f"cannot reach the proxy's control at {control}: {exc}") from None
    answer = response.json() if response.headers.get("content-type") == "application/json" else {}
    if response.status_code != 200:
        raise UsageError(f"the proxy refused: {answer.get('error', response.status_code)}")
    if json:
        output.print_json(answer)
        return
    where = f"upstream {answer.get('upstream')}"
    if answer.get("schedule"):
        where += ", set by hand" if answer.get("source") == "set" else ", from the schedule"
    output.show(f"faults: {answer.get('describe')} ({where})")
    if answer.get("schedule"):
        output.show(f"schedule: {answer['schedule']}  (elapsed {answer.get('elapsed_s')} s)")


def register(app: typer.Typer) -> None:
    """Add `proxy` and `faults` to the `upstream` group."""
    app.command(
        "proxy",
        epilog="Examples:\n\n"
        "  resilience upstream proxy --to http://127.0.0.1:8080 --error 503:0.3\n\n"
        "  RESILIENCE_BASE_URL=http://127.0.0.1:8081 resilience invoke -n 20\n\n"
        "  resilience upstream faults --latency 0.5 --jitter 0.1\n\n"
        "  resilience upstream proxy --to http://127.0.0.1:8080 --phase 10s:status=503@0.6"
        " --phase 40s:healthy\n\n"
        "Faults: --phase runs a schedule from the moment the proxy listens (status=CODE@CHANCE"
        " is --error CODE:CHANCE, delay=SECONDS@CHANCE is --latency SECONDS:CHANCE); `resilience"
        " upstream faults` (PUT or PATCH /faults) sets faults by hand, over it, and `upstream"
        " faults --clear` (DELETE /faults) goes back to it. Fault flags and --phase do not mix.",
    )(proxy)
    app.command(
        "faults",
        epilog="Examples:\n\n  resilience upstream faults\n\n"
        "  resilience upstream faults --error 503:0.5 --reset 0.1\n\n"
        "  resilience upstream faults --clear",
    )(faults)
