"""`resilience upstream serve|check`: the embedded fault server on its own, and a health check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from resilience_cli.cli.options import BaseUrlOption, JsonOption  # noqa: TC001 - Typer reads these at run time
from resilience_cli.errors import EXIT_EXPECTATION_FAILED
from resilience_cli.limits import MAX_SECONDS, MAX_SEED

if TYPE_CHECKING:
    from resilience_cli.client import Target
    from resilience_cli.clock import Clock

upstream_app = typer.Typer(
    name="upstream",
    help="The embedded httpbin-compatible fault server: serve it, or check an upstream.",
    no_args_is_help=True,
)


@upstream_app.command(
    epilog="Examples:\n\n  resilience upstream serve --port 8080\n\n"
    "  RESILIENCE_BASE_URL=http://127.0.0.1:8080 resilience invoke -n 20"
)
def serve(
    *,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port (0: any free one).")
    ] = 8080,
    seed: Annotated[
        int,
        typer.Option("--seed", min=0, max=MAX_SEED, help="Seed of the server's random answers."),
    ] = 0,
) -> None:
    """Serve the embedded upstream until Ctrl-C (endpoints: /get, /delay, /status, ...)."""
    from resilience_cli.cli import output, runtime  # noqa: PLC0415
    from resilience_cli.clock import SystemClock  # noqa: PLC0415
    from resilience_cli.errors import UsageError  # noqa: PLC0415
    from resilience_cli.upstream import UpstreamApp, serve_forever  # noqa: PLC0415

    clock = SystemClock()

    def ready(url: str) -> None:
        output.note(f"serving the embedded upstream on {url} (Ctrl-C stops it)")

    try:
        runtime.run(
            serve_forever(UpstreamApp(seed, wall=clock.wall), host, port, ready),
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
            output.show(f"{verdict}: {result['url'] or base_url}: {result['error']}")
        else:
            output.show(
                f"{verdict}: {result['url']} answered {result['status']}"
                f" in {result['latency_ms']} ms"
            )
    if not result["ok"]:
        raise typer.Exit(EXIT_EXPECTATION_FAILED)


async def _probe(target: Target, seconds: float, clock: Clock) -> dict[str, object]:
    import asyncio  # noqa: PLC0415

    import httpx  # noqa: PLC0415

    url = ""
    try:
        url = await target.start()
        # The bound is asyncio.timeout's, below: httpx's own fire late under load.
        async with httpx.AsyncClient(
            base_url=url,
            transport=target.transport(),
            timeout=None,  # noqa: S113
        ) as client:
            began = clock.monotonic()
            async with asyncio.timeout(seconds):
                response = await client.get("/health")
            latency = (clock.monotonic() - began) * 1000
    except (httpx.HTTPError, OSError, TimeoutError) as exc:
        error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        return {"url": url, "ok": False, "status": None, "latency_ms": None, "error": error}
    finally:
        await target.close()
    return {
        "url": url,
        "ok": response.is_success,
        "status": response.status_code,
        "latency_ms": round(latency, 1),
        "error": None,
    }


def register(app: typer.Typer) -> None:
    """Add the `upstream` group to `app`."""
    app.add_typer(upstream_app)
