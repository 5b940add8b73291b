"""The breaker's state as one small, human-readable JSON file: the default `BreakerStore`.

Layout (``indent=2``, sorted keys and a trailing newline, so that it reads and diffs well)::

    {
      "breaker": {... the breaker's memento, as memento.py spells it ...},
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
``.resilience/breaker.json`` relative to the working folder. That file holds the breaker
named `default`; another name (`--breaker api`) has a file of its own beside it
(`named_state_path`: ``.resilience/breaker.api.json``). A class demo or a CI job is
a folder: its breaker sits next to its scenarios and `logs/`, two projects never share
one by accident, and a relative path keeps messages short. A command-line flag, when
given, wins over both: the command passes its path to `JsonFileStore`.

Why it is safe:

- Writes are atomic (`files.replace_atomically`: temp file, fsync, rename), so a crash
  leaves the old file or the new one, never a torn one; the next write removes a temp
  file that a killed one left behind.
- A symlinked state file is written through: the link's target is updated and the link
  stays. Anything that is not a regular file (a folder, a FIFO, a device) is refused
  before it is read, and at most `MAX_STATE_BYTES` are read.
- ``<file>.lock`` (`filelock`: ``flock`` on Unix) is held for every read-modify-write,
  so concurrent commands cannot lose each other's updates. A plain `load` takes no
  lock, because a rename is atomic and readers see the old file or the new one (so
  `resilience state` does not even import filelock). The lock file stays after use on
  purpose: deleting it would let two processes lock two inodes.
- A file we cannot understand is never overwritten. Only `resilience reset` (a
  transaction with ``replace_broken=True``) replaces a broken file, and only one that is
  ours: it holds our `kind` (whatever else is wrong inside), or it is not JSON at all
  and sits in a ``.resilience`` folder, where nothing but our files belong. Any other
  file (``--state-file package.json``) is refused, and left as it was.

Errors: `StateFileError` (exit 2) for what the user can fix at the path: corrupt,
foreign or newer content, permissions, a folder where the file should be.
`StateStoreError` (exit 3) when the machine fails (disk full, I/O error), and its
`StateLockTimeoutError` when another command holds the lock past `lock_timeout`.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from resilience_cli.clock import SystemClock
from resilience_cli.errors import (
    PATH_ERRNOS,
    ConfigError,
    StateFileError,
    StateLockTimeoutError,
    StateStoreError,
)
from resilience_cli.state.files import (
    REPLACE_PAUSES,
    NotRegularFileError,
    read_regular_file,
    remove_stale_temps,
    replace_atomically,
)
from resilience_cli.state.store import StateTransaction

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from filelock import FileLock

    from resilience_cli.clock import Clock

STATE_FILE_ENV: Final = "RESILIENCE_STATE_FILE"
DEFAULT_STATE_PATH: Final = Path(".resilience/breaker.json")
SCHEMA_VERSION: Final = 1
KIND: Final = "resilience-cli/breaker-state"
# A state file is a few KB; reading more would only let `--state-file /dev/zero`-like
# mistakes eat the memory.
MAX_STATE_BYTES: Final = 1 << 20
# The default file's folder. Nothing but our files belongs in a folder of this name, so a
# corrupt file there is ours to replace.
STATE_FOLDER: Final = DEFAULT_STATE_PATH.parent.name

_START_AFRESH: Final = "run 'resilience reset' to start afresh"
_CHECK_PATH: Final = f"check the path and its permissions, or set {STATE_FILE_ENV} to another file"
_NOT_OURS: Final = (
    f"resilience never overwrites a file it did not write: check --state-file and ${STATE_FILE_ENV}"
)
_OUTSIDE_OUR_FOLDER: Final = (
    f"it is outside a {STATE_FOLDER} folder, so 'resilience reset' will not replace it:"
    " check the path, or delete the file if it was a state file"
)
_UPGRADE: Final = "upgrade resilience-cli to read it"


def named_state_path(path: Path, breaker: str) -> Path:
    """The file of the breaker named `breaker`: `path` itself for `default`, else beside it.

    `.resilience/breaker.json` holds the `default` breaker, and `--breaker api` lives in
    `.resilience/breaker.api.json`: a file (and a lock) per breaker, so that runs against
    two upstreams do not take turns, and a file written before breakers had names is the
    `default` breaker as it is, with nothing to migrate.
    """
    if breaker == "default":
        return path
    return path.with_name(f"{path.stem}.{breaker}{path.suffix}")


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
    """A `BreakerStore` kept in one JSON file and locked through ``<file>.lock``.

    Args:
        path: The state file. Its folder is created by the first write. A symlink is
            followed: its target is read, locked and written, and the link stays.
        lock_timeout: Seconds to wait for another command's transaction before giving up
            with `StateLockTimeoutError`.
        clock: Where `updated_at` is read from; the system clock by default.
        sleep: How to pause between tries of a rename that another program blocks.

    Raises:
        ConfigError: `lock_timeout` is negative or not a number.
    """

    __slots__ = ("_clock", "_file", "_lock", "_lock_timeout", "_path", "_sleep")

    def __init__(
        self,
        path: Path,
        lock_timeout: float = 10.0,
        *,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not lock_timeout >= 0:  # also rejects NaN
            raise ConfigError("state.lock_timeout", f"must be >= 0 seconds, got {lock_timeout}")
        self._path = path
        # Replacing a symlink by a rename would cut it off from its target: work on the
        # target itself (and lock it, so two links to one file take turns too).
        self._file = Path(os.path.realpath(path)) if path.is_symlink() else path
        self._lock_timeout = lock_timeout
        self._clock: Clock = SystemClock() if clock is None else clock
        self._sleep = sleep
        self._lock: FileLock | None = None  # made by the first transaction: a read needs none

    def __repr__(self) -> str:
        return f"JsonFileStore({str(self._path)!r}, lock_timeout={self._lock_timeout!r})"

    @property
    def path(self) -> Path:
        """The state file, as given."""
        return self._path

    @property
    def lock_path(self) -> Path:
        """The lock file beside the state file (its link's target, if it is a link)."""
        return Path(f"{os.fspath(self._file)}.lock")

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
            StateFileError: The file is corrupt, foreign, newer, not a regular file, or
                cannot be read.
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

    @contextmanager
    def transaction(
        self, *, wait: float | None = None, replace_broken: bool = False
    ) -> Iterator[StateTransaction]:
        """Hold the lock from the read to the write; write only if the block succeeds.

        Args:
            wait: Seconds to wait for the lock instead of `lock_timeout`; 0 tries once.
            replace_broken: `resilience reset`'s way out: a broken file that is ours to
                replace (see the module's notes) reads as no state, and `.replaced` says
                what was wrong with it. A file that is not ours still raises.

        Yields:
            The transaction: `.snapshot` as read, `.replace(new)` to write on success.

        Raises:
            StateFileError: The file is corrupt (it is kept), or the path is unusable.
            StateStoreError: The lock stayed held for `lock_timeout`, or a write failed.
        """
        # A first look without the lock: a file that is not ours gets no folder and no
        # lock file beside it (`--state-file package.json` leaves no `package.json.lock`).
        self._read_or_replace(replace_broken=replace_broken)
        with self._locked(self._lock_timeout if wait is None else wait):
            transaction = self._read_or_replace(replace_broken=replace_broken)
            yield transaction
            if transaction.pending is not None:
                self._write(transaction.pending)

    def _read_or_replace(self, *, replace_broken: bool) -> StateTransaction:
        try:
            return StateTransaction(self._read())
        except StateFileError as broken:
            if not (replace_broken and broken.replaceable):
                raise
            return StateTransaction(None, replaced=broken.problem)

    @contextmanager
    def _locked(self, timeout: float) -> Iterator[None]:
        folder = self._file.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            problem = f"cannot be written: a file is in the way of its folder {folder}"
            raise StateFileError(str(self._path), problem, _CHECK_PATH) from None
        except OSError as error:
            raise _failure(self._path, "written", error) from error
        from filelock import FileLock, Timeout  # noqa: PLC0415 - only writers need it

        if self._lock is None:
            self._lock = FileLock(self.lock_path)
        lock = self._lock
        try:
            lock.acquire(timeout=timeout)
        except Timeout:  # before OSError: filelock's Timeout is a TimeoutError, an OSError
            raise StateLockTimeoutError(str(self.lock_path), timeout) from None
        except OSError as error:
            raise _failure(self._path, "locked", error) from error
        try:
            yield
        finally:
            lock.release()

    def _read(self) -> dict[str, object] | None:
        location = str(self._path)
        try:
            data = read_regular_file(self._file, MAX_STATE_BYTES)
        except NotRegularFileError as odd:
            raise StateFileError(location, odd.what, _CHECK_PATH) from None
        except NotADirectoryError:
            problem = f"cannot be read: a file is in the way of its folder {self._file.parent}"
            raise StateFileError(location, problem, _CHECK_PATH) from None
        except OSError as error:
            raise _failure(self._path, "read", error) from error
        if data is None:
            return None
        return _parse(location, data, in_our_folder=self._file.parent.name == STATE_FOLDER)

    def _write(self, snapshot: Mapping[str, object]) -> None:
        document = {
            "breaker": snapshot,
            "kind": KIND,
            "schema_version": SCHEMA_VERSION,
            "updated_at": datetime.fromtimestamp(self._clock.wall(), UTC).isoformat(),
        }
        # allow_nan=False: NaN is not JSON, and the file must stay readable by any parser.
        text = json.dumps(document, indent=2, sort_keys=True, allow_nan=False, ensure_ascii=False)
        # A lone surrogate (`--reason $'caf\xe9'`: a byte that was not UTF-8, as Python reads
        # the command line) has no UTF-8. It can only stand in a JSON string, where its
        # backslash escape is valid JSON and reads back as the same text: nothing is lost.
        data = f"{text}\n".encode("utf-8", "backslashreplace")
        remove_stale_temps(self._file)  # we hold the lock: no write of ours is under way
        try:
            replace_atomically(self._file, data, self._sleep)
        except PermissionError as error:
            # Windows refuses to replace a file that another program holds open.
            reason = error.strerror or str(error)
            problem = f"cannot be replaced ({reason}, still after {sum(REPLACE_PAUSES):g}s)"
            remedy = (
                "another program may hold it open (an editor, a virus scanner): close it and"
                " try again, or check the file's permissions"
            )
            raise StateFileError(str(self._path), problem, remedy) from error
        except OSError as error:
            raise _failure(self._path, "written", error) from error


def _parse(path: str, data: bytes, *, in_our_folder: bool) -> dict[str, object]:
    """The `breaker` object of a state file's bytes, or a `StateFileError` saying what is wrong.

    The error is `replaceable` (by `resilience reset`) when the file holds our `kind`, or
    when it is not JSON at all and sits in our own folder.
    """
    try:
        document = _decode(path, data)
    except StateFileError as corrupt:
        if in_our_folder:
            raise StateFileError(path, corrupt.problem, _START_AFRESH, replaceable=True) from None
        raise StateFileError(path, corrupt.problem, _OUTSIDE_OUR_FOLDER) from None
    # JSON that is not ours is somebody's data: never offer to replace it.
    if not isinstance(document, dict):
        problem = f"holds a JSON {_json_type(document)}, not a resilience-cli state file"
        raise StateFileError(path, problem, _NOT_OURS)
    if document.get("kind") != KIND:
        found = f"kind {_show(document['kind'])}" if "kind" in document else 'no "kind"'
        problem = f"is not a resilience-cli breaker state file ({found}, expected {_show(KIND)})"
        raise StateFileError(path, problem, _NOT_OURS)
    _check_version(path, document)
    if "breaker" not in document:
        raise StateFileError(path, 'has no "breaker" object', _START_AFRESH, replaceable=True)
    breaker = document["breaker"]
    if not isinstance(breaker, dict):
        problem = f'has a "breaker" that is a JSON {_json_type(breaker)}, not an object'
        raise StateFileError(path, problem, _START_AFRESH, replaceable=True)
    return breaker


def _decode(path: str, data: bytes) -> object:
    """The JSON value in `data`; a `StateFileError` if it is empty, not UTF-8 or not JSON."""
    if len(data) > MAX_STATE_BYTES:
        problem = f"is larger than {MAX_STATE_BYTES // 1024} KiB, far more than a state file holds"
        raise StateFileError(path, problem, _START_AFRESH)
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
        raise StateFileError(path, "has no schema_version", _START_AFRESH, replaceable=True)
    version = document["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        problem = f"has schema_version {_show(version)}, which is not a whole number"
        raise StateFileError(path, problem, _START_AFRESH, replaceable=True)
    if version > SCHEMA_VERSION:
        problem = (
            f"was written by a newer resilience-cli (schema_version {version};"
            f" this one reads {SCHEMA_VERSION})"
        )
        raise StateFileError(path, problem, _UPGRADE, replaceable=True)
    if version != SCHEMA_VERSION:
        problem = f"has unknown schema_version {version} (this one reads {SCHEMA_VERSION})"
        raise StateFileError(path, problem, _START_AFRESH, replaceable=True)


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
    if error.errno in PATH_ERRNOS:
        return StateFileError(str(path), problem, _CHECK_PATH)
    return StateStoreError(f"state file {path} {problem}")
