"""Files that survive crashes and careless paths: capped, typed reads and atomic writes.

- `read_regular_file` opens without blocking and checks the type before any read, so a
  FIFO cannot hang a reader and a device cannot feed it forever, and reads at most one
  byte more than the cap (the caller decides what too large means).
- `replace_atomically` writes a temp file in the same folder (same file system, so the
  final `os.replace` is a rename), fsyncs it, renames it over the old file and fsyncs the
  folder (best effort), so a crash leaves the old file or the new one, never a torn one.
  Windows refuses the rename while another program holds the file open, so it is tried
  again for about a second (`REPLACE_PAUSES`) before the `PermissionError` goes up.
- `remove_stale_temps` deletes the temp files a killed write left behind. Call it with
  the file's lock held: then no write of ours is under way, and every such file is stale.
"""

from __future__ import annotations

import glob
import os
import re
import stat
from contextlib import suppress
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

# Without it, Windows opens descriptors in text mode and would write "\r\n".
_O_BINARY: Final[int] = getattr(os, "O_BINARY", 0)
# Opening a FIFO for reading would wait for a writer; non-blocking, it opens at once and
# the type check refuses it. (Windows has no FIFOs, and no O_NONBLOCK.)
_O_NONBLOCK: Final[int] = getattr(os, "O_NONBLOCK", 0)
# Pauses between tries of the final rename while another program holds the file open
# (Windows refuses it then): about one second in all.
REPLACE_PAUSES: Final = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.37)
_TEMP_NAME: Final = ".{name}.{token}.tmp"
_TEMP_TOKEN_BYTES: Final = 6
_FILE_TYPES: Final = {
    stat.S_IFDIR: "is a folder, not a file",
    stat.S_IFIFO: "is a named pipe (FIFO), not a regular file",
    stat.S_IFCHR: "is a device, not a regular file",
    stat.S_IFBLK: "is a device, not a regular file",
    stat.S_IFSOCK: "is a socket, not a regular file",
}


class NotRegularFileError(Exception):
    """The path is a folder, a FIFO, a device or a socket: `what` says which, as a phrase."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def read_regular_file(path: Path, limit: int) -> bytes | None:
    """The file's bytes (None if it does not exist); refuses what is not a regular file.

    Opened without blocking and checked before any read, so a FIFO cannot hang `state` and
    a device cannot feed it forever; at most `limit` + 1 bytes are read.

    Raises:
        NotRegularFileError: The path is not a regular file.
        OSError: The file could not be opened or read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_BINARY)
    except FileNotFoundError:
        return None
    except PermissionError:
        # Windows cannot open a folder at all, and says "permission denied": say what it is.
        if path.is_dir():
            raise NotRegularFileError(_FILE_TYPES[stat.S_IFDIR]) from None
        raise
    try:
        kind = stat.S_IFMT(os.fstat(fd).st_mode)
        if kind != stat.S_IFREG:
            raise NotRegularFileError(_FILE_TYPES.get(kind, "is not a regular file"))
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _temp_path(path: Path) -> Path:
    # secrets.token_hex does just this, but importing secrets loads OpenSSL's hashlib.
    token = os.urandom(_TEMP_TOKEN_BYTES).hex()
    return path.with_name(_TEMP_NAME.format(name=path.name, token=token))


def remove_stale_temps(path: Path) -> None:
    """Delete temp files of `path` that a killed write left behind. Call with the lock held.

    Only our own pattern (``.<name>.<12 hex>.tmp``) and only regular files; best effort.
    """
    pattern = _TEMP_NAME.format(name=glob.escape(path.name), token="*")  # noqa: S106 - a glob
    exact = re.compile(
        re.escape(f".{path.name}.") + f"[0-9a-f]{{{2 * _TEMP_TOKEN_BYTES}}}" + re.escape(".tmp")
    )
    with suppress(OSError):
        for leftover in path.parent.glob(pattern):
            if exact.fullmatch(leftover.name) and stat.S_ISREG(leftover.lstat().st_mode):
                with suppress(OSError):
                    leftover.unlink()


def replace_atomically(path: Path, data: bytes, sleep: Callable[[float], None]) -> None:
    """Write `data` to `path` so that a crash leaves the old file or the new one, whole."""
    folder = path.parent
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    temp = _temp_path(path)
    # os.open rather than tempfile: tempfile makes 0600 files, and the state file should get
    # the umask's permissions like any file the user makes, or keep the old file's.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            temp.chmod(mode)
        _rename(temp, path, sleep)
    except BaseException:
        with suppress(OSError):
            temp.unlink()
        raise
    fsync_folder(folder)


def _rename(temp: Path, path: Path, sleep: Callable[[float], None]) -> None:
    """`os.replace`, tried again for about a second while Windows says another program has it."""
    for pause in REPLACE_PAUSES:
        try:
            temp.replace(path)
        except PermissionError:
            sleep(pause)
        else:
            return
    temp.replace(path)


def fsync_folder(folder: Path) -> None:
    """Make a rename durable. Best effort: Windows cannot open a folder, and that is fine."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
