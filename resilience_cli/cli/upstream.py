"""`resilience upstream serve|check|proxy|faults`: the embedded server, a check, the proxy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from resilience_cli.cli.options import BaseUrlOption, JsonOption  # noqa: TC001 - Typer reads these at run time
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
) -> None:
    """Serve the embedded upstream until Ctrl-C (endpoints: /get, /delay, /status, ...)."""
    from resilience_cli.cli import output, runtime  # noqa: PLC0415
    from resilience_cli.clock import SystemClock  # noqa: PLC0415
    from resilience_cli.errors import UsageError  # noqa: PLC0415
    from resilience_cli.upstream import ServerLimits, UpstreamApp, serve_forever  # noqa: PLC0415

    clock = SystemClock()
    limits = ServerLimits(max_connections, idle_timeout, max_body)

    def ready(url: str) -> None:
        output.note(f"serving the embedded upstream on {url} (Ctrl-C stops it)")

    try:
        runtime.run(
            serve_forever(UpstreamApp(seed, wall=clock.wall), host, port, ready, limits=limits),
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
