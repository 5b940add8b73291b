"""`resilience upstream serve|check|proxy|faults`: the embedded server, a check, the proxy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from resilience_cli.cli.options import BaseUrlOption, JsonOption  # noqa: TC001 - Typer reads these at run time
from resilience_cli.cli.phases import PHASE_HELP
from resilience_cli.defaults import (
    UPSTREAM_IDLE_TIMEOUT,
    UPSTREAM_IDLE_TIMEOUT_RANGE,
    UPSTREAM_MAX_BODY,
    UPSTREAM_MAX_BODY_RANGE,
    UPSTREAM_MAX_CONNECTIONS,
    UPSTREAM_MAX_CONNECTIONS_RANGE,
)
from resilience_cli.errors import EXIT_EXPECTATION_FAILED
from resilience_cli.limits import MAX_SECONDS, MAX_SEED

if TYPE_CHECKING:
    from resilience_cli.client import Target
    from resilience_cli.clock import Clock

upstream_app = typer.Typer(
    name="upstream",
    help="The embedded httpbin-compatible fault server: serve it, or check an upstream;"
    " or put a fault-injecting proxy in front of any HTTP service.",
    no_args_is_help=True,
)


@upstream_app.command(
    epilog="Examples:\n\n  resilience upstream serve --port 8080\n\n"
    "  RESILIENCE_BASE_URL=http://127.0.0.1:8080 resilience invoke -n 20\n\n"
    "  resilience upstream serve --phase 10s:status=500@0.6 --phase 40s:healthy\n\n"
    "  resilience upstream fault status=500@0.6   # from another terminal\n\n"
    "Faults: --phase runs a schedule from the moment the server listens; `resilience"
    " upstream fault` (PUT /fault, loopback clients only) sets a fault by hand, over it.\n\n"
    "Limits: past --max-connections, a new connection gets 503 with Retry-After: 1 and is"
    " closed. A connection that takes longer than --idle-timeout to send a request (or"
    " stalls in its body, or stops reading its response) is closed, with 408 if a request"
    " had begun. A body over --max-body gets 413. Out of file descriptors, the server"
    " pauses accepting, says so once, and serves again when connections close."
)
def serve(  # noqa: PLR0913 - one parameter per flag
    *,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port (0: any free one).")
    ] = 8080,
    seed: Annotated[
        int,
        typer.Option("--seed", min=0, max=MAX_SEED, help="Seed of the server's random answers."),
    ] = 0,
    max_connections: Annotated[
        int,
        typer.Option(
            "--max-connections",
            min=UPSTREAM_MAX_CONNECTIONS_RANGE[0],
            max=UPSTREAM_MAX_CONNECTIONS_RANGE[1],
            help="Connections served at once; past it, 503 and close.",
        ),
    ] = UPSTREAM_MAX_CONNECTIONS,
    idle_timeout: Annotated[
        float,
        typer.Option(
            "--idle-timeout",
            min=UPSTREAM_IDLE_TIMEOUT_RANGE[0],
            max=UPSTREAM_IDLE_TIMEOUT_RANGE[1],
            help="Seconds a client may take to send a request or read a response.",
        ),
    ] = UPSTREAM_IDLE_TIMEOUT,
    max_body: Annotated[
        int,
        typer.Option(
            "--max-body",
            min=UPSTREAM_MAX_BODY_RANGE[0],
            max=UPSTREAM_MAX_BODY_RANGE[1],
            help="Bytes of request body (1048576 = 1 MiB); larger gets 413.",
        ),
    ] = UPSTREAM_MAX_BODY,
    phase: Annotated[
        list[str] | None, typer.Option("--phase", help=PHASE_HELP, show_default=False)
    ] = None,
) -> None:
    """Serve the embedded upstream until Ctrl-C (endpoints: /get, /delay, /status, ...)."""
    from resilience_cli.cli import output, runtime  # noqa: PLC0415
    from resilience_cli.cli.phases import schedule_of  # noqa: PLC0415
    from resilience_cli.clock import SystemClock  # noqa: PLC0415
    from resilience_cli.errors import UsageError  # noqa: PLC0415
    from resilience_cli.targets import embedded_app  # noqa: PLC0415
    from resilience_cli.upstream import ServerLimits, serve_forever  # noqa: PLC0415
    from resilience_cli.upstream.fault_control import LiveFaults  # noqa: PLC0415

    clock = SystemClock()
    limits = ServerLimits(max_connections, idle_timeout, max_body)
    faults = LiveFaults(schedule_of(phase or ()), clock=clock.monotonic, seed=seed)

    def ready(url: str) -> None:
        faults.start()
        output.note(f"serving the embedded upstream on {url} (Ctrl-C stops it)")
        if faults.schedule:
            output.note(f"fault phases from now: {faults.schedule}")

    try:
        runtime.run(
            serve_forever(embedded_app(seed, clock.wall, faults), host, port, ready, limits=limits),
            clock,
            on_interrupt="stopped",
        )
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


@upstream_app.command(
    epilog="Examples:\n\n  resilience upstream check\n\n  resilience upstream check --base-url http://127.0.0.1:8080"
)
def check(
    *,
    base_url: BaseUrlOption = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=0.001, max=MAX_SECONDS, help="Seconds to wait for /health."),
    ] = 2.0,
    json: JsonOption = False,
) -> None:
    """GET /health on the upstream; exit 1 when it does not answer 2xx in time."""
    from resilience_cli.cli import output, runtime  # noqa: PLC0415
    from resilience_cli.clock import SystemClock  # noqa: PLC0415

    clock = SystemClock()
    target = runtime.choose_target(base_url, 0, clock, virtual_time=False)
    result = runtime.run(_probe(target, timeout, clock), clock)
    if json:
        output.print_json({"schema": "resilience-cli/upstream-check", "version": 1, **result})
    else:
        verdict = "ok" if result["ok"] else "FAILED"
        if result["status"] is None:
            output.show(f"{verdict}: {result['error']}")
        else:
            # The whole URL asked: "answered 404" alone does not say 404 for what.
            output.show(
                f"{verdict}: GET {result['checked']} answered {result['status']}"
                f" in {result['latency_ms']} ms"
            )
    if not result["ok"]:
        raise typer.Exit(EXIT_EXPECTATION_FAILED)


CONTROL_URL = "http://127.0.0.1:8080"  # `upstream serve`'s own default


@upstream_app.command(
    epilog="Examples:\n\n  resilience upstream fault                   # what holds now\n\n"
    "  resilience upstream fault status=500@0.6   # 60 % of calls get 500, from now on\n\n"
    "  resilience upstream fault 'delay=3s@0.3,status=503@0.1'\n\n"
    "  resilience upstream fault healthy          # no fault, schedule or not\n\n"
    "  resilience upstream fault --clear          # back to the --phase schedule"
)
def fault(
    fault: Annotated[
        str | None,
        typer.Argument(
            help="healthy, status=CODE@CHANCE, delay=SECONDS@CHANCE (a chance left out is 1),"
            " or both joined by a"
            " comma; leave it out to see what holds now.",
            show_default=False,
        ),
    ] = None,
    *,
    clear: Annotated[
        bool, typer.Option("--clear", help="Drop the fault set by hand: the schedule holds.")
    ] = False,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            envvar="RESILIENCE_BASE_URL",
            help="The `upstream serve` to steer (loopback only).",
            show_default=CONTROL_URL,
        ),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Show or set the fault a running `upstream serve` applies (from another terminal)."""
    from resilience_cli.cli import output, runtime  # noqa: PLC0415
    from resilience_cli.clock import SystemClock  # noqa: PLC0415
    from resilience_cli.errors import UsageError  # noqa: PLC0415
    from resilience_cli.faults import parse_fault  # noqa: PLC0415

    if fault is not None and clear:
        raise UsageError("give a fault or --clear, not both")
    if fault is not None:
        try:
            fault = str(parse_fault(fault))
        except ValueError as exc:
            raise UsageError(f"fault: {exc}") from None
    url = base_url or CONTROL_URL
    runtime.check_base_url(url)
    method = "DELETE" if clear else "GET" if fault is None else "PUT"
    answer = runtime.run(_steer_faults(url, method, fault), SystemClock())
    if json:
        output.print_json({"schema": "resilience-cli/upstream-fault", "version": 1, **answer})
        return
    source = {"set": "set by hand", "schedule": "from the schedule", "none": "no schedule"}
    output.show(f"fault: {answer['fault']} ({source.get(str(answer['source']), '')})")
    if answer.get("schedule"):
        output.show(f"schedule: {answer['schedule']}  (elapsed {answer['elapsed_s']} s)")


async def _steer_faults(url: str, method: str, fault: str | None) -> dict[str, object]:
    """Ask `/fault` of the server at `url`; anything but its answer is one error line."""
    import json  # noqa: PLC0415

    import httpx  # noqa: PLC0415

    from resilience_cli.client import describe_connect_error  # noqa: PLC0415
    from resilience_cli.errors import ResilienceError  # noqa: PLC0415
    from resilience_cli.redact import redact_url  # noqa: PLC0415

    where = redact_url(url)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5.0, verify=False) as client:  # noqa: S501 - loopback
            response = await client.request(method, "/fault", content=fault)
    except httpx.ConnectError as exc:
        raise ResilienceError(describe_connect_error(exc, where)) from None
    except httpx.HTTPError as exc:
        raise ResilienceError(f"{method} {where}/fault: {type(exc).__name__}: {exc}") from None
    try:
        answer = json.loads(response.text)
    except ValueError:
        answer = None
    if not response.is_success or not isinstance(answer, dict) or "fault" not in answer:
        said = answer.get("error") if isinstance(answer, dict) else None
        raise ResilienceError(
            f"{method} {where}/fault answered {response.status_code}"
            + (f": {said}" if said else ": is it `resilience upstream serve`?")
        )
    return answer


async def _probe(target: Target, seconds: float, clock: Clock) -> dict[str, object]:
    import asyncio  # noqa: PLC0415

    import httpx  # noqa: PLC0415

    from resilience_cli.client import describe_connect_error  # noqa: PLC0415
    from resilience_cli.redact import redact_url  # noqa: PLC0415

    url = checked = ""
    try:
        url = await target.start()
        # The bound is asyncio.timeout's, below: httpx's own fire late under load.
        async with httpx.AsyncClient(
            base_url=url,
            transport=target.transport(),
            timeout=None,  # noqa: S113
        ) as client:
            request = client.build_request("GET", "/health")
            checked = str(request.url)
            began = clock.monotonic()
            async with asyncio.timeout(seconds):
                response = await client.send(request)
            latency = (clock.monotonic() - began) * 1000
    except httpx.ConnectError as exc:
        error = describe_connect_error(exc, checked or url)
        return _failed(url, checked, error)
    except TimeoutError:  # before OSError, its base
        return _failed(url, checked, f"GET {checked or url}: no answer within {seconds:g} s")
    except (httpx.HTTPError, OSError) as exc:
        error = f"GET {checked or url}: {type(exc).__name__}: {exc}".rstrip(": ")
        return _failed(url, checked, error)
    finally:
        await target.close()
    return {
        "url": redact_url(url),
        "checked": redact_url(checked),
        "ok": response.is_success,
        "status": response.status_code,
        "latency_ms": round(latency, 1),
        "error": None,
    }


def _failed(url: str, checked: str, error: str) -> dict[str, object]:
    from resilience_cli.redact import redact, redact_url  # noqa: PLC0415

    return {
        "url": redact_url(url),
        "checked": redact_url(checked),
        "ok": False,
        "status": None,
        "latency_ms": None,
        "error": redact(error),
    }


def register(app: typer.Typer) -> None:
    """Add the `upstream` group to `app`, the proxy and its faults included."""
    from resilience_cli.cli import proxy  # noqa: PLC0415

    proxy.register(upstream_app)
    app.add_typer(upstream_app)
