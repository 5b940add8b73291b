"""Plain sockets to a server of ours, for the tests that speak HTTP/1.1 by hand."""

import asyncio
import contextlib


def address(server):
    """The (host, port) a server listens on, from its base URL."""
    host, port = server.base_url.removeprefix("http://").split(":")
    return host, int(port)


async def open_raw(server):
    """A raw connection to `server`: its reader and writer."""
    return await asyncio.open_connection(*address(server))


async def close_raw(writer):
    """Close a raw connection, whether or not the server closed it first."""
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


async def read_to_eof(reader):
    """Everything the server sends until it closes, within 5 s."""
    async with asyncio.timeout(5):
        return await reader.read()
