"""The ASGI lifespan protocol, run beside the server for as long as it listens."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Final

from resilience_cli.errors import ResilienceError

if TYPE_CHECKING:
    from resilience_cli.upstream.app import ASGIApp, Message

__all__ = ["ASGI_VERSION", "Lifespan"]

_log = logging.getLogger(__name__)

ASGI_VERSION: Final = {"version": "3.0", "spec_version": "2.3"}


class Lifespan:
    """The ASGI lifespan protocol, run in a task of its own for the server's lifetime."""

    def __init__(self, app: ASGIApp, state: dict[str, object]) -> None:
        self._app = app
        self._state = state
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self._started: asyncio.Future[str | None] = loop.create_future()
        self._stopped: asyncio.Future[str | None] = loop.create_future()
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        """Start the app's lifespan task and wait for its startup answer.

        Raises:
            ResilienceError: The app reported a failed startup.
        """
        self._task = asyncio.get_running_loop().create_task(self._run())
        self._inbox.put_nowait({"type": "lifespan.startup"})
        failure = await self._started
        if failure is not None:
            await self._task
            raise ResilienceError(f"the upstream app failed to start: {failure}")

    async def shutdown(self) -> None:
        """Ask the app to shut down and wait for it; a failure is logged, not raised."""
        if self._task is None or self._task.done():
            return
        self._inbox.put_nowait({"type": "lifespan.shutdown"})
        failure = await self._stopped
        await self._task
        if failure is not None:
            _log.warning("the upstream app failed to shut down: %s", failure)

    async def _run(self) -> None:
        scope: Message = {"type": "lifespan", "asgi": dict(ASGI_VERSION), "state": self._state}
        try:
            await self._app(scope, self._inbox.get, self._send)
        except Exception as exc:  # noqa: BLE001 - the ASGI rule: the app may not do lifespan
            if not self._started.done():
                _log.debug("the ASGI app does not support lifespan: %r", exc)
            else:
                _log.exception("the upstream app's lifespan raised")
        finally:
            # An app that returns early, or without answering, must not leave us waiting.
            for future in (self._started, self._stopped):
                if not future.done():
                    future.set_result(None)

    async def _send(self, message: Message) -> None:
        kind = message.get("type")
        text = str(message.get("message", ""))
        if kind == "lifespan.startup.complete":
            self._started.set_result(None)
        elif kind == "lifespan.startup.failed":
            self._started.set_result(text or "startup failed")
        elif kind == "lifespan.shutdown.complete":
            self._stopped.set_result(None)
        elif kind == "lifespan.shutdown.failed":
            self._stopped.set_result(text or "shutdown failed")
