"""The state file's odd places: links, FIFOs, devices, leftovers, and Windows' locked files."""

import contextlib
import errno
import json
import os
import threading
from pathlib import Path

import pytest
from platforms import NO_DEV_ZERO, NO_FIFOS, NO_SYMLINKS

from resilience_cli.errors import EXIT_USAGE, StateFileError
from resilience_cli.state import JsonFileStore, json_file
from resilience_cli.virtual_time import VirtualClock

SNAPSHOT = {"format": 1, "state": "closed", "fail_count": 0}


@pytest.fixture
def clock():
    """A virtual clock, for `updated_at`."""
    return VirtualClock()


def listing(folder: Path) -> list[str]:
    return sorted(child.name for child in folder.iterdir())


def finishes_within(seconds: float, work) -> object:
    """Run `work` in a daemon thread and return its result or exception; fail if it hangs."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds}s"
    return outcome[0]


@NO_SYMLINKS
def test_a_symlinked_state_file_is_written_through(tmp_path, clock):
    """Saving through a symlink updates its target and keeps the link a link."""
    target = tmp_path / "shared" / "breaker.json"
    target.parent.mkdir()
    link = tmp_path / ".resilience" / "breaker.json"
    link.parent.mkdir()
    link.symlink_to(target)
    store = JsonFileStore(link, clock=clock)

    store.save(SNAPSHOT)
    store.save({"format": 1, "state": "forced_open"})

    assert link.is_symlink()
    assert json.loads(target.read_text())["breaker"] == {"format": 1, "state": "forced_open"}
    assert store.load() == {"format": 1, "state": "forced_open"}
    assert store.location == str(link)
    assert listing(target.parent) == ["breaker.json", "breaker.json.lock"]


@NO_SYMLINKS
def test_a_dangling_symlink_gets_its_target_created(tmp_path, clock):
    """A link to a missing file reads as no state; the first save makes the link's target."""
    target = tmp_path / "later" / "breaker.json"
    link = tmp_path / "breaker.json"
    link.symlink_to(target)
    store = JsonFileStore(link, clock=clock)

    assert store.load() is None
    store.save(SNAPSHOT)

    assert link.is_symlink()
    assert json.loads(target.read_text())["breaker"] == SNAPSHOT


@NO_SYMLINKS
def test_two_links_to_one_file_share_one_lock(tmp_path):
    """The lock belongs to the file that is written, so two links to it take turns."""
    target = tmp_path / "breaker.json"
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.symlink_to(target)
    second.symlink_to(target)

    assert (
        JsonFileStore(first).lock_path == JsonFileStore(second).lock_path == Path(f"{target}.lock")
    )


@NO_FIFOS
def test_a_fifo_is_refused_at_once_and_never_read(tmp_path, clock):
    """A named pipe at the path is a one-line usage error, and reading it does not hang."""
    fifo = tmp_path / "breaker.json"
    os.mkfifo(fifo)
    store = JsonFileStore(fifo, lock_timeout=0, clock=clock)
    try:
        error = finishes_within(10, store.load)
    finally:
        # Let a reader that did block (the bug) go: a writer that opens and closes at once.
        # With no reader blocked, the open fails with ENXIO, and nothing needs releasing.
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert isinstance(error, StateFileError)
    assert error.exit_code == EXIT_USAGE
    assert "is a named pipe (FIFO), not a regular file" in str(error)
    assert not error.replaceable
    saved = finishes_within(10, lambda: store.save(SNAPSHOT))
    assert isinstance(saved, StateFileError)
    assert "named pipe" in str(saved)
    assert fifo.exists()
    assert not fifo.is_file()


@NO_DEV_ZERO
def test_a_device_is_refused_before_any_read(clock):
    """`--state-file /dev/zero` is refused from its type: nothing is read from it."""
    store = JsonFileStore(Path("/dev/zero"), lock_timeout=0, clock=clock)

    with pytest.raises(StateFileError, match="is a device, not a regular file") as caught:
        store.load()

    assert not caught.value.replaceable


def test_a_reset_never_replaces_what_is_not_a_regular_file(tmp_path, clock):
    """Even `reset`'s way out refuses a folder at the path of a state file in our folder."""
    path = tmp_path / ".resilience" / "breaker.json"
    path.mkdir(parents=True)
    store = JsonFileStore(path, clock=clock)

    with pytest.raises(StateFileError, match="is a folder"), store.transaction(replace_broken=True):
        pass

    assert path.is_dir()


def test_a_folder_is_a_folder_where_opening_it_is_permission_denied(tmp_path, monkeypatch, clock):
    """Windows refuses to open a folder (EACCES): it is still refused as a folder, not a right."""
    path = tmp_path / ".resilience" / "breaker.json"
    path.mkdir(parents=True)
    real_open = os.open

    def windows_open(name, flags, *args):
        if Path(name).is_dir():
            raise PermissionError(errno.EACCES, "Permission denied", str(name))
        return real_open(name, flags, *args)

    monkeypatch.setattr(os, "open", windows_open)
    store = JsonFileStore(path, clock=clock)

    with pytest.raises(StateFileError, match="is a folder, not a file") as caught:
        store.load()

    assert caught.value.exit_code == EXIT_USAGE


def test_a_temp_file_left_by_a_killed_write_is_removed_by_the_next_write(tmp_path, clock):
    """Under the lock, leftovers of our own temp pattern go; other files stay."""
    path = tmp_path / ".resilience" / "breaker.json"
    store = JsonFileStore(path, clock=clock)
    store.save(SNAPSHOT)
    folder = path.parent
    stale = folder / ".breaker.json.0123456789ab.tmp"
    stale.write_text("{half a")
    kept = [
        folder / ".breaker.json.notours.tmp",
        folder / ".other.json.0123456789ab.tmp",
        folder / "breaker.json.0123456789ab.tmp",
        folder / ".breaker.json.0123456789abc.tmp",
    ]
    for other in kept:
        other.write_text("not ours to remove")

    store.save({"format": 1, "state": "forced_open"})

    assert not stale.exists()
    assert all(other.exists() for other in kept)
    assert store.load() == {"format": 1, "state": "forced_open"}


def test_a_rename_refused_once_is_retried(tmp_path, monkeypatch):
    """Windows refuses to replace a file another program holds open: a brief retry wins."""
    path = tmp_path / "breaker.json"
    pauses: list[float] = []
    store = JsonFileStore(path, sleep=pauses.append)
    store.save(SNAPSHOT)
    real_replace = os.replace
    refusals = iter([True])

    def replace(source, target):
        if next(refusals, False):
            raise PermissionError(errno.EACCES, "Access is denied", str(target))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    store.save({"format": 1, "state": "forced_open"})

    assert pauses == [json_file.REPLACE_PAUSES[0]]
    assert store.load() == {"format": 1, "state": "forced_open"}
    assert listing(tmp_path) == ["breaker.json", "breaker.json.lock"]


def test_a_rename_refused_for_good_gives_up_after_about_a_second(tmp_path, monkeypatch):
    """A file held open for good: bounded retries (~1 s), then one line, the old file kept."""
    path = tmp_path / "breaker.json"
    pauses: list[float] = []
    store = JsonFileStore(path, sleep=pauses.append)
    store.save(SNAPSHOT)
    before = path.read_bytes()

    def replace(_source, target):
        raise PermissionError(errno.EACCES, "Access is denied", str(target))

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(StateFileError) as caught:
        store.save({"format": 1, "state": "forced_open"})

    assert pauses == list(json_file.REPLACE_PAUSES)
    assert 0.9 <= sum(pauses) <= 1.1
    message = str(caught.value)
    assert "\n" not in message
    assert "cannot be replaced (Access is denied, still after 1s)" in message
    assert "another program may hold it open" in message
    assert path.read_bytes() == before
    assert listing(tmp_path) == ["breaker.json", "breaker.json.lock"]
