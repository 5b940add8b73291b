"""The breaker's state as one small, human-readable JSON file: the default `BreakerStore`.

Layout (``indent=2``, sorted keys and a trailing newline, so that it reads and diffs well)::

    {
      "breaker": {... CircuitBreaker.snapshot() ...},
      "kind": "resilience-cli/breaker-state",
      "schema_version": 1,
      "updated_at": "2026-01-01T00:00:00+00:00"
    }

`kind` tells our file from any other JSON a user might point us at, and never changes.
`schema_version` versions this envelope; the snapshot inside carries its own `format`.
A newer version is refused rather than guessed at. `updated_at` is for people reading
the file (wall-clock UTC from the injected clock, so virtual runs stay repeatable) and is
not checked.

Location (`default_state_path`): ``$RESILIENCE_STATE_FILE`` when set and not empty, else
``.resilience/breaker.json`` relative to the working folder. A class demo or a CI job is
a folder: its breaker sits next to its scenarios and `logs/`, two projects never share
one by accident, and a relative path keeps messages short. A command-line flag, when
given, wins over both: the command passes its path to `JsonFileStore`.

Why it is safe:

- Writes are atomic. The new text goes to a temp file in the same folder (same file
  system, so the final `os.replace` is a rename), is fsync'd, renamed over the old file,
  and the folder is fsync'd (best effort), so a crash leaves the old file or the new
  one, never a torn one.
- ``<path>.lock`` (`filelock`: ``flock`` on Unix) is held for every read-modify-write,
  so concurrent commands cannot lose each other's updates. A plain `load` takes no
  lock, because a rename is atomic and readers see the old file or the new one. The lock
  file stays after use on purpose: deleting it would let two processes lock two inodes.
- A file we cannot understand is never overwritten or deleted, except by `clear`, the
  way out that `resilience reset` offers.

Errors: `StateFileError` (exit 2) for what the user can fix at the path: corrupt,
foreign or newer content, permissions, a folder where the file should be.
`StateStoreError` (exit 3) when the machine fails (disk full, I/O error), and its
`StateLockTimeoutError` when another command holds the lock past `lock_timeout`.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import stat
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from filelock import FileLock, Timeout

from resilience_cli.clock import SystemClock
from resilience_cli.errors import (
    ConfigError,
    StateFileError,
    StateLockTimeoutError,
    StateStoreError,
)
from resilience_cli.state.store import StateTransaction

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from resilience_cli.clock import Clock

STATE_FILE_ENV: Final = "RESILIENCE_STATE_FILE"
DEFAULT_STATE_PATH: Final = Path(".resilience/breaker.json")
SCHEMA_VERSION: Final = 1
KIND: Final = "resilience-cli/breaker-state"

_START_AFRESH: Final = "run 'resilience reset' to start afresh"
_CHECK_PATH: Final = f"check the path and its permissions, or set {STATE_FILE_ENV} to another file"
# An OSError with one of these is about the path the user chose (exit 2), not the machine.
_PATH_ERRNOS: Final = frozenset(
    {
        errno.EACCES,
        errno.EEXIST,
        errno.EISDIR,
        errno.ELOOP,
        errno.ENAMETOOLONG,
        errno.ENOTDIR,
        errno.EPERM,
        errno.EROFS,
    }
)
# Without it, Windows opens descriptors in text mode and would write "\r\n".
_O_BINARY: Final[int] = getattr(os, "O_BINARY", 0)


def default_state_path(env: Mapping[str, str]) -> Path:
    """The state file when no flag names one: ``$RESILIENCE_STATE_FILE``, else the default.

    Args:
        env: The environment, usually `os.environ`. An empty value counts as unset.

    Returns:
        The path as given (relative paths stay relative), or ``.resilience/breaker.json``.
    """
    value = env.get(STATE_FILE_ENV, "")
    return Path(value) if value else DEFAULT_STATE_PATH


class JsonFileStore:
    """A `BreakerStore` kept in one JSON file and locked through ``<path>.lock``.

    Args:
        path: The state file. Its folder is created by the first write.
        lock_timeout: Seconds to wait for another command's transaction before giving up
            with `StateLockTimeoutError`.
        clock: Where `updated_at` is read from; the system clock by default.

    Raises:
        ConfigError: `lock_timeout` is negative or not a number.
    """

    __slots__ = ("_clock", "_lock", "_lock_timeout", "_path")

    def __init__(
        self, path: Path, lock_timeout: float = 10.0, *, clock: Clock | None = None
    ) -> None:
        if not lock_timeout >= 0:  # also rejects NaN
            raise ConfigError("state.lock_timeout", f"must be >= 0 seconds, got {lock_timeout}")
        self._path = path
        self._lock_timeout = lock_timeout
        self._clock: Clock = SystemClock() if clock is None else clock
        self._lock = FileLock(self.lock_path)

    def __repr__(self) -> str:
        return f"JsonFileStore({str(self._path)!r}, lock_timeout={self._lock_timeout!r})"

    @property
    def path(self) -> Path:
        """The state file."""
        return self._path

    @property
    def lock_path(self) -> Path:
        """The lock file beside it: the state file's path plus ``.lock``."""
        return Path(f"{os.fspath(self._path)}.lock")

    @property
    def location(self) -> str:
        """The state file's path, as the user gave it."""
        return str(self._path)

    @property
    def lock_timeout(self) -> float:
        """Seconds a transaction waits for the lock."""
        return self._lock_timeout

    def load(self) -> dict[str, object] | None:
        """The stored snapshot, or None when the file does not exist yet.

        Takes no lock: writes are atomic renames, so this sees a whole file.

        Raises:
            StateFileError: The file is corrupt, foreign, newer, or cannot be read.
            StateStoreError: Reading failed for a reason outside the path (an I/O error).
        """
        return self._read()

    def save(self, snapshot: Mapping[str, object]) -> None:
        """Write `snapshot` atomically, under the lock, over any valid earlier state.

        Raises:
            StateFileError: The existing file is corrupt (it is kept), or the path is unusable.
            StateStoreError: The write failed (disk full, ...) or the lock stayed held.
        """
        with self.transaction() as transaction:
            transaction.replace(snapshot)

    def clear(self) -> None:
        """Delete the state file, whatever it holds; the lock file stays.

        Raises:
            StateFileError: The file exists but cannot be removed.
            StateStoreError: The lock stayed held, or the file system failed.
        """
        if not self._path.parent.is_dir():
            return  # nothing was ever written here, and a reset should not create folders
        with self._locked():
            try:
                self._path.unlink(missing_ok=True)
            except OSError as error:
                raise _failure(self._path, "removed", error) from error
        _fsync_folder(self._path.parent)

    @contextmanager
    def transaction(self, *, wait: float | None = None) -> Iterator[StateTransaction]:
        """Hold the lock from the read to the write; write only if the block succeeds.

        Args:
            wait: Seconds to wait for the lock instead of `lock_timeout`; 0 tries once.

        Yields:
            The transaction: `.snapshot` as read, `.replace(new)` to write on success.

        Raises:
            StateFileError: The file is corrupt (it is kept), or the path is unusable.
            StateStoreError: The lock stayed held for `lock_timeout`, or a write failed.
        """
        with self._locked(self._lock_timeout if wait is None else wait):
            transaction = StateTransaction(self._read())
            yield transaction
            if transaction.pending is not None:
                self._write(transaction.pending)

    @contextmanager
    def _locked(self, timeout: float | None = None) -> Iterator[None]:
        timeout = self._lock_timeout if timeout is None else timeout
        folder = self._path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            problem = f"cannot be written: a file is in the way of its folder {folder}"
            raise StateFileError(str(self._path), problem, _CHECK_PATH) from None
        except OSError as error:
            raise _failure(self._path, "written", error) from error
        try:
            self._lock.acquire(timeout=timeout)
        except Timeout:  # before OSError: filelock's Timeout is a TimeoutError, an OSError
            raise StateLockTimeoutError(str(self.lock_path), timeout) from None
        except OSError as error:
            raise _failure(self._path, "locked", error) from error
        try:
            yield
        finally:
            self._lock.release()

    def _read(self) -> dict[str, object] | None:
        try:
            data = self._path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise _failure(self._path, "read", error) from error
        return _parse(str(self._path), data)

    def _write(self, snapshot: Mapping[str, object]) -> None:
        document = {
            "breaker": snapshot,
            "kind": KIND,
            "schema_version": SCHEMA_VERSION,
            "updated_at": datetime.fromtimestamp(self._clock.wall(), UTC).isoformat(),
        }
        # allow_nan=False: NaN is not JSON, and the file must stay readable by any parser.
        text = json.dumps(document, indent=2, sort_keys=True, allow_nan=False, ensure_ascii=False)
        try:
            _replace_atomically(self._path, f"{text}\n".encode())
        except OSError as error:
            raise _failure(self._path, "written", error) from error


def _parse(path: str, data: bytes) -> dict[str, object]:
    """The `breaker` object of a state file's bytes, or a `StateFileError` saying what is wrong."""
    document = _decode(path, data)
    # Wrong JSON is likely someone else's file: `reset` would delete it, so say so.
    foreign = "check the path, or run 'resilience reset' to replace it"
    if not isinstance(document, dict):
        problem = f"holds a JSON {_json_type(document)}, not an object"
        raise StateFileError(path, problem, foreign)
    if document.get("kind") != KIND:
        found = f"kind {_show(document['kind'])}" if "kind" in document else 'no "kind"'
        problem = f"is not a resilience-cli breaker state file ({found}, expected {_show(KIND)})"
        raise StateFileError(path, problem, foreign)
    _check_version(path, document)
    if "breaker" not in document:
        raise StateFileError(path, 'has no "breaker" object', _START_AFRESH)
    breaker = document["breaker"]
    if not isinstance(breaker, dict):
        problem = f'has a "breaker" that is a JSON {_json_type(breaker)}, not an object'
        raise StateFileError(path, problem, _START_AFRESH)
    return breaker


def _decode(path: str, data: bytes) -> object:
    """The JSON value in `data`; a `StateFileError` if it is empty, not UTF-8 or not JSON."""
    if not data.strip():
        raise StateFileError(path, "is empty", _START_AFRESH)
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError as error:
        problem = f"is not UTF-8 text (byte {error.start})"
    except json.JSONDecodeError as error:
        problem = f"is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
    except ValueError as error:  # from _no_constant
        problem = f"is not valid JSON ({error})"
    except RecursionError:
        problem = "is not a state file (nested too deeply to read)"
    raise StateFileError(path, problem, _START_AFRESH)


def _no_constant(name: str) -> object:
    """Python's json reads NaN and Infinity; JSON has neither, and we never write them."""
    raise ValueError(f"{name} is not a JSON number")


def _check_version(path: str, document: Mapping[str, object]) -> None:
    """Accept only the `schema_version` this code writes; a newer one means: upgrade."""
    if "schema_version" not in document:
        raise StateFileError(path, "has no schema_version", _START_AFRESH)
    version = document["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        problem = f"has schema_version {_show(version)}, which is not a whole number"
        raise StateFileError(path, problem, _START_AFRESH)
    if version > SCHEMA_VERSION:
        problem = (
            f"was written by a newer resilience-cli (schema_version {version};"
            f" this one reads {SCHEMA_VERSION})"
        )
        raise StateFileError(path, problem, f"upgrade resilience-cli, or {_START_AFRESH}")
    if version != SCHEMA_VERSION:
        problem = f"has unknown schema_version {version} (this one reads {SCHEMA_VERSION})"
        raise StateFileError(path, problem, _START_AFRESH)


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else "object"


def _show(value: object, limit: int = 40) -> str:
    """A value as JSON for a one-line message, cut to `limit` characters."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def _failure(path: Path, action: str, error: OSError) -> StateFileError | StateStoreError:
    """Say which file could not be `action` and why; exit 2 if the path is at fault, else 3."""
    reason = error.strerror or str(error)
    if error.filename is not None and str(error.filename) != str(path):
        reason = f"{reason}: {error.filename}"
    problem = f"cannot be {action} ({reason})"
    if error.errno in _PATH_ERRNOS:
        return StateFileError(str(path), problem, _CHECK_PATH)
    return StateStoreError(f"state file {path} {problem}")


def _replace_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves the old file or the new one, whole."""
    folder = path.parent
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    temp = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
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
        temp.replace(path)
    except BaseException:
        with suppress(OSError):
            temp.unlink()
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable. Best effort: Windows cannot open a folder, and that is fine."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
