import errno
import json
import os
import stat
from pathlib import Path

import pytest
from filelock import FileLock
from platforms import NO_FILE_MODES, NO_PERMISSION_CHECKS

from resilience_cli.errors import (
    EXIT_INTERNAL,
    EXIT_USAGE,
    ConfigError,
    StateFileError,
    StateLockTimeoutError,
    StateStoreError,
)
from resilience_cli.patterns.breaker import BreakerConfig, BreakerState, CircuitBreaker
from resilience_cli.state import (
    DEFAULT_STATE_PATH,
    KIND,
    SCHEMA_VERSION,
    BreakerStore,
    JsonFileStore,
    StateTransaction,
    default_state_path,
)
from resilience_cli.state.memento import from_snapshot, to_snapshot
from resilience_cli.virtual_time import VirtualClock

SNAPSHOT = {"format": 1, "state": "closed", "fail_count": 0}


@pytest.fixture
def clock():
    """A virtual clock: wall time starts at 2026-01-01T00:00:00Z."""
    return VirtualClock()


@pytest.fixture
def path(tmp_path):
    """A state file whose folder does not exist yet."""
    return tmp_path / "state" / "breaker.json"


@pytest.fixture
def store(path, clock):
    """A store on `path` that reads `updated_at` from the virtual clock."""
    return JsonFileStore(path, clock=clock)


def envelope(**fields):
    """A state file's JSON text; a field set to `...` is left out."""
    document = {"schema_version": 1, "kind": KIND, "breaker": SNAPSHOT} | fields
    return json.dumps({key: value for key, value in document.items() if value is not ...})


def write_raw(path, data):
    """Put `data` at `path` as it is, folder included."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def folder_listing(path):
    """The names in the state file's folder, sorted."""
    return sorted(child.name for child in path.parent.iterdir())


def test_json_file_store_is_a_breaker_store(store):
    """JsonFileStore satisfies the BreakerStore protocol the commands are written against."""
    typed: BreakerStore = store
    assert typed.location == str(store.path)


def test_text_that_was_not_utf8_on_the_command_line_is_saved_as_it_was(store, path):
    r"""`force-open --reason $'caf\xe9'` (a lone surrogate in Python): saved, read back as given."""
    snapshot = {"format": 1, "reason": "caf\udce9 \ud800"}

    store.save(snapshot)

    assert store.load() == snapshot
    assert json.loads(path.read_bytes().decode("utf-8"))["breaker"] == snapshot


def test_round_trip_of_a_real_breaker_snapshot(store, clock):
    """A tripped breaker's snapshot comes back equal and restores to the same breaker."""
    breaker = CircuitBreaker(BreakerConfig(failure_threshold=3), clock=clock)
    for _ in range(3):
        breaker.record(breaker.acquire(), 0.1, failure="http_5xx")
    clock.jump(4.0)
    snapshot = to_snapshot(breaker)

    store.save(snapshot)
    loaded = store.load()

    assert loaded == snapshot
    assert loaded is not None
    restored = from_snapshot(loaded, BreakerConfig(failure_threshold=3), clock=clock)
    assert restored.state is BreakerState.OPEN
    assert restored.opened_at == breaker.opened_at
    assert restored.transitions == breaker.transitions


def test_missing_file_loads_as_none_and_creates_nothing(store, path):
    """No file means no state yet (a fresh CLOSED breaker), and reading creates no folder."""
    assert store.load() is None
    assert not path.parent.exists()


def test_save_writes_the_documented_human_readable_layout(store, path):
    """The file is the versioned envelope, indented, with sorted keys and a final newline."""
    store.save(SNAPSHOT)

    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert document == {
        "breaker": SNAPSHOT,
        "kind": "resilience-cli/breaker-state",
        "schema_version": SCHEMA_VERSION,
        "updated_at": "2026-01-01T00:00:00+00:00",
    }
    assert text == json.dumps(document, indent=2, sort_keys=True) + "\n"


def test_updated_at_comes_from_the_injected_clock(store, path, clock):
    """`updated_at` is the clock's wall time in UTC, so virtual runs stay repeatable."""
    clock.jump(90.0)
    store.save(SNAPSHOT)

    assert json.loads(path.read_text())["updated_at"] == "2026-01-01T00:01:30+00:00"


def test_save_replaces_the_previous_snapshot(store):
    """The last save wins."""
    store.save(SNAPSHOT)
    store.save({"format": 1, "state": "forced_open"})

    assert store.load() == {"format": 1, "state": "forced_open"}


MIB = 1 << 20  # the documented cap on what is read of a state file
NOT_JSON = [
    pytest.param(b"", "is empty", id="empty"),
    pytest.param(b"  \n", "is empty", id="blank"),
    pytest.param(b"{not json", "is not valid JSON (line 1, column 2", id="not-json"),
    pytest.param(b"\xff\xfe{}", "is not UTF-8 text (byte 0)", id="not-utf8"),
    pytest.param(b"[" * 100_000, "nested too deeply", id="deep"),
    pytest.param(b" " * (MIB + 1), "is larger than 1024 KiB", id="too-large"),
]
FOREIGN = [
    pytest.param(b"[1, 2]", "holds a JSON array, not a resilience-cli state file", id="array"),
    pytest.param(envelope(kind=...).encode(), 'no "kind"', id="no-kind"),
    pytest.param(envelope(kind="other/tool").encode(), 'kind "other/tool"', id="wrong-kind"),
    pytest.param(b'{"name": "my-package", "version": "1.0.0"}', 'no "kind"', id="package-json"),
]
OURS_BROKEN = [
    pytest.param(envelope(schema_version=...).encode(), "has no schema_version", id="no-version"),
    pytest.param(
        envelope(schema_version="1").encode(), 'schema_version "1", which is not', id="text-version"
    ),
    pytest.param(envelope(schema_version=True).encode(), "schema_version true", id="bool-version"),
    pytest.param(envelope(schema_version=0).encode(), "unknown schema_version 0", id="old-version"),
    pytest.param(envelope(breaker=...).encode(), 'has no "breaker" object', id="no-breaker"),
    pytest.param(
        envelope(breaker=[1]).encode(), '"breaker" that is a JSON array', id="bad-breaker"
    ),
]
NEWER = [
    pytest.param(
        envelope(schema_version=2).encode(),
        "was written by a newer resilience-cli (schema_version 2; this one reads 1)",
        id="newer-version",
    ),
]
CORRUPT = NOT_JSON + FOREIGN + OURS_BROKEN + NEWER


@pytest.fixture
def ours(tmp_path, clock):
    """A store on the default layout: `breaker.json` in a `.resilience` folder."""
    return JsonFileStore(tmp_path / ".resilience" / "breaker.json", clock=clock)


@pytest.mark.parametrize(("data", "problem"), NOT_JSON + OURS_BROKEN)
def test_a_broken_file_of_ours_points_to_reset(ours, data, problem):
    """Ours but unreadable: a one-line usage error naming path, problem and `resilience reset`."""
    write_raw(ours.path, data)

    with pytest.raises(StateFileError) as caught:
        ours.load()

    message = str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE
    assert message.startswith(f"state file {ours.path} ")
    assert problem in message
    assert message.endswith("; run 'resilience reset' to start afresh")
    assert "\n" not in message
    assert ours.path.read_bytes() == data


@pytest.mark.parametrize(("data", "problem"), FOREIGN)
def test_a_foreign_file_never_recommends_reset(ours, data, problem):
    """JSON that is not ours, even in our folder, is someone's data: no word of reset."""
    write_raw(ours.path, data)

    with pytest.raises(StateFileError) as caught:
        ours.load()

    message = str(caught.value)
    assert problem in message
    assert "reset" not in message
    assert "never overwrites a file it did not write" in message
    assert ours.path.read_bytes() == data


@pytest.mark.parametrize(("data", "problem"), NOT_JSON)
def test_a_corrupt_file_outside_our_folder_is_not_offered_to_reset(store, path, data, problem):
    """Non-JSON outside a .resilience folder may be anybody's: reset will not touch it."""
    write_raw(path, data)

    with pytest.raises(StateFileError) as caught:
        store.load()

    message = str(caught.value)
    assert problem in message
    assert "outside a .resilience folder, so 'resilience reset' will not replace it" in message
    assert not caught.value.replaceable


@pytest.mark.parametrize(("data", "problem"), CORRUPT)
def test_save_never_overwrites_a_corrupt_file(store, path, data, problem):
    """Saving over a file we cannot understand refuses, and leaves its bytes as they were."""
    write_raw(path, data)

    with pytest.raises(StateFileError) as caught:
        store.save(SNAPSHOT)

    assert problem in str(caught.value)
    assert path.read_bytes() == data
    assert folder_listing(path) == ["breaker.json"]  # not even a lock file beside it


def test_newer_schema_says_upgrade_and_never_reset(ours):
    """A file from a newer release asks for an upgrade; resetting it would lose its state."""
    write_raw(ours.path, envelope(schema_version=2).encode())

    with pytest.raises(StateFileError) as caught:
        ours.load()

    assert str(caught.value).endswith("; upgrade resilience-cli to read it")
    assert "reset" not in str(caught.value)


REPLACEABLE = (
    [
        pytest.param(".resilience", data, True, id=f"ours-{param.id}")
        for param in NOT_JSON + OURS_BROKEN + NEWER
        for data in param.values[:1]
    ]
    + [
        pytest.param("elsewhere", data, True, id=f"elsewhere-{param.id}")
        for param in OURS_BROKEN + NEWER
        for data in param.values[:1]
    ]
    + [
        pytest.param(".resilience", data, False, id=f"ours-{param.id}")
        for param in FOREIGN
        for data in param.values[:1]
    ]
    + [
        pytest.param("elsewhere", data, False, id=f"elsewhere-{param.id}")
        for param in NOT_JSON + FOREIGN
        for data in param.values[:1]
    ]
)


@pytest.mark.parametrize(("folder", "data", "replaceable"), REPLACEABLE)
def test_reset_replaces_only_a_file_that_is_ours(tmp_path, clock, folder, data, replaceable):
    """replace_broken takes a file with our kind, or non-JSON in .resilience; nothing else."""
    path = tmp_path / folder / "breaker.json"
    write_raw(path, data)
    store = JsonFileStore(path, clock=clock)

    def reset() -> str | None:
        with store.transaction(replace_broken=True) as transaction:
            assert transaction.snapshot is None
            transaction.replace(SNAPSHOT)
            return transaction.replaced

    if replaceable:
        assert reset()
        assert store.load() == SNAPSHOT
    else:
        with pytest.raises(StateFileError) as caught:
            reset()
        assert not caught.value.replaceable
        assert path.read_bytes() == data


def test_a_readable_file_is_not_replaced_as_broken(ours):
    """replace_broken changes nothing when the file reads: the transaction sees its snapshot."""
    ours.save(SNAPSHOT)

    with ours.transaction(replace_broken=True) as transaction:
        assert transaction.snapshot == SNAPSHOT
        assert transaction.replaced is None


def test_replacing_a_broken_file_keeps_it_until_the_write(ours):
    """A reset that fails before its write leaves the broken file as it was."""
    write_raw(ours.path, b"{broken")

    with pytest.raises(RuntimeError), ours.transaction(replace_broken=True):
        raise RuntimeError

    assert ours.path.read_bytes() == b"{broken"


def test_writes_leave_no_temp_files_behind(store, path):
    """After several writes the folder holds only the state file and its lock."""
    for count in range(5):
        store.save({"count": count})

    assert folder_listing(path) == ["breaker.json", "breaker.json.lock"]


@pytest.mark.parametrize(
    ("code", "error_class", "exit_code"),
    [
        pytest.param(errno.EIO, StateStoreError, EXIT_INTERNAL, id="io-error"),
        pytest.param(errno.ENOSPC, StateStoreError, EXIT_INTERNAL, id="disk-full"),
        pytest.param(errno.EACCES, StateFileError, EXIT_USAGE, id="permission"),
    ],
)
def test_failed_replace_keeps_the_old_file(store, monkeypatch, code, error_class, exit_code):
    """A write that fails at the rename leaves the old file whole and no temp file behind."""
    path = store.path
    store.save(SNAPSHOT)
    before = path.read_bytes()

    def failing_replace(*_args):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(error_class, match=os.strerror(code)) as caught:
        store.save({"count": 1})

    assert caught.value.exit_code == exit_code
    assert "\n" not in str(caught.value)
    assert path.read_bytes() == before
    assert folder_listing(path) == ["breaker.json", "breaker.json.lock"]


def test_unserialisable_snapshot_writes_nothing(store, path):
    """A snapshot that is not JSON (NaN here) fails before any file is touched."""
    store.save(SNAPSHOT)
    before = path.read_bytes()

    with pytest.raises(ValueError, match="JSON"):
        store.save({"rate": float("nan")})

    assert path.read_bytes() == before
    assert folder_listing(path) == ["breaker.json", "breaker.json.lock"]


def test_transaction_reads_then_writes_the_replacement(store):
    """A transaction sees the stored snapshot and writes what it was given on success."""
    store.save({"count": 41})

    with store.transaction() as transaction:
        current = transaction.snapshot
        assert current == {"count": 41}
        transaction.replace({"count": 42})

    assert store.load() == {"count": 42}


def test_transaction_on_a_missing_file_starts_from_none(store):
    """Without a file the transaction's snapshot is None, and the first write creates it."""
    with store.transaction() as transaction:
        assert transaction.snapshot is None
        transaction.replace(SNAPSHOT)

    assert store.load() == SNAPSHOT


def test_transaction_writes_nothing_on_exception(store, path):
    """An exception inside the block discards the replacement."""
    store.save(SNAPSHOT)
    before = path.read_bytes()

    def replace_then_fail():
        with store.transaction() as transaction:
            transaction.replace({"count": 1})
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        replace_then_fail()

    assert path.read_bytes() == before


def test_transaction_without_replace_writes_nothing(store, path):
    """A read-only transaction creates no state file."""
    with store.transaction() as transaction:
        assert transaction.snapshot is None

    assert not path.exists()


def test_transaction_releases_the_lock_after_an_exception(store):
    """A failed transaction does not leave the lock held."""
    with pytest.raises(RuntimeError), store.transaction():
        raise RuntimeError

    other = JsonFileStore(store.path, lock_timeout=0)
    other.save(SNAPSHOT)
    assert other.load() == SNAPSHOT


def test_replace_copies_the_mapping():
    """Changing the dict after `replace()` does not change what is written."""
    transaction = StateTransaction(None)
    snapshot: dict[str, object] = {"count": 1}

    transaction.replace(snapshot)
    snapshot["count"] = 2

    assert transaction.pending == {"count": 1}


def test_lock_timeout_is_an_infrastructure_error_naming_the_lock(path, clock):
    """When another process holds the lock, writers give up with exit 3 and name the lock."""
    store = JsonFileStore(path, lock_timeout=0, clock=clock)
    store.save(SNAPSHOT)
    held = FileLock(store.lock_path)

    with held, pytest.raises(StateLockTimeoutError) as caught:
        store.save({"count": 1})

    assert caught.value.exit_code == EXIT_INTERNAL
    assert str(store.lock_path) in str(caught.value)
    assert "after 0s" in str(caught.value)
    assert store.load() == SNAPSHOT


def test_load_takes_no_lock(store, path):
    """Reading works while another process holds the lock, so `resilience state` never waits."""
    store.save(SNAPSHOT)

    with FileLock(store.lock_path):
        assert JsonFileStore(path, lock_timeout=0).load() == SNAPSHOT


def test_a_folder_at_the_path_is_a_usage_error(store, path):
    """A folder where the state file should be is a one-line usage error, for reads and writes."""
    path.mkdir(parents=True)

    with pytest.raises(StateFileError, match="is a folder, not a file") as caught:
        store.load()
    assert caught.value.exit_code == EXIT_USAGE
    assert "RESILIENCE_STATE_FILE" in str(caught.value)
    with pytest.raises(StateFileError, match="is a folder, not a file"):
        store.save(SNAPSHOT)
    assert path.is_dir()


def test_a_file_where_the_folder_should_be_is_a_usage_error(store, path):
    """A file in the way of the state folder gives a usage error naming that folder."""
    path.parent.write_text("not a folder")

    with pytest.raises(
        StateFileError, match=r"a file is in the way of its folder .*state;"
    ) as caught:
        store.save(SNAPSHOT)

    assert "\n" not in str(caught.value)
    with pytest.raises(StateFileError, match="cannot be read"):
        store.load()


def test_a_read_refused_by_the_system_is_a_usage_error(store, path, monkeypatch):
    """A state file we may not read gives a one-line usage error naming path and reason."""
    store.save(SNAPSHOT)

    def refuse(name, *_args):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(name))

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(
        StateFileError, match=r"cannot be read \(Permission denied\); check"
    ) as caught:
        store.load()

    assert caught.value.exit_code == EXIT_USAGE
    assert caught.value.path == str(path)


def test_an_io_error_while_reading_is_an_infrastructure_error(store, monkeypatch):
    """A read that fails in the machine (EIO) is exit 3, not the user's fault."""
    store.save(SNAPSHOT)

    def fail(*_args):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "read", fail)
    with pytest.raises(StateStoreError, match="cannot be read") as caught:
        store.load()

    assert caught.value.exit_code == EXIT_INTERNAL


@NO_PERMISSION_CHECKS
def test_an_unreadable_file_is_a_usage_error(store, path):
    """A state file without read permission is a usage error that names the path."""
    store.save(SNAPSHOT)
    path.chmod(0)

    with pytest.raises(StateFileError, match="Permission denied") as caught:
        store.load()

    assert caught.value.exit_code == EXIT_USAGE


@NO_FILE_MODES
def test_new_file_honours_the_umask_and_rewrites_keep_the_mode(store, path):
    """A new state file gets the umask's permissions (not tempfile's 0600); a rewrite keeps them."""
    old_umask = os.umask(0o022)
    try:
        store.save(SNAPSHOT)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644

    path.chmod(0o600)
    store.save({"count": 1})

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("timeout", [-1.0, float("nan")])
def test_lock_timeout_must_be_a_non_negative_number(path, timeout):
    """A negative or NaN lock timeout is a configuration error, not an endless wait."""
    with pytest.raises(ConfigError, match=r"state\.lock_timeout"):
        JsonFileStore(path, lock_timeout=timeout)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({}, DEFAULT_STATE_PATH, id="unset"),
        pytest.param({"RESILIENCE_STATE_FILE": ""}, DEFAULT_STATE_PATH, id="empty"),
        pytest.param({"RESILIENCE_STATE_FILE": "logs/x.json"}, Path("logs/x.json"), id="relative"),
        pytest.param({"RESILIENCE_STATE_FILE": "/srv/b.json"}, Path("/srv/b.json"), id="absolute"),
    ],
)
def test_default_state_path(env, expected):
    """The environment variable wins when set; otherwise `.resilience/breaker.json`, relative."""
    assert default_state_path(env) == expected


def test_default_location_is_relative_to_the_working_folder():
    """The default is a relative path, so each project folder keeps its own breaker."""
    assert Path(".resilience/breaker.json") == DEFAULT_STATE_PATH
    assert not DEFAULT_STATE_PATH.is_absolute()


def test_a_folder_at_the_lock_path_is_a_usage_error(store):
    """A lock path that cannot be opened is a usage error naming the lock file."""
    store.lock_path.mkdir(parents=True)

    with pytest.raises(StateFileError, match=r"cannot be locked \(Is a directory: .*\.lock\)"):
        store.save(SNAPSHOT)


def test_a_folder_that_cannot_be_made_is_a_usage_error(store, monkeypatch):
    """A state folder the system will not create gives a usage error, not a traceback."""

    def refuse(self, *_args, **_kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(StateFileError, match=r"cannot be written \(Permission denied: .*state\)"):
        store.save(SNAPSHOT)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        pytest.param(b'"text"', "holds a JSON string", id="string"),
        pytest.param(b"12", "holds a JSON number", id="number"),
        pytest.param(b"false", "holds a JSON boolean", id="boolean"),
        pytest.param(b"null", "holds a JSON null", id="null"),
        pytest.param(envelope(breaker="x").encode(), '"breaker" that is a JSON string', id="text"),
        pytest.param(envelope(breaker=None).encode(), '"breaker" that is a JSON null', id="nul"),
        pytest.param(envelope(kind={"a": 1}).encode(), 'kind {"a": 1}, expected', id="object-kind"),
    ],
)
def test_messages_name_the_json_type_found(store, path, data, problem):
    """Messages say which JSON type was found where an object was expected."""
    write_raw(path, data)

    with pytest.raises(StateFileError) as caught:
        store.load()

    assert problem in str(caught.value)


def test_long_values_are_cut_in_messages(store, path):
    """A huge foreign value is shortened, so the message stays one readable line."""
    write_raw(path, envelope(kind="x" * 500).encode())

    with pytest.raises(StateFileError) as caught:
        store.load()

    assert f'(kind "{"x" * 38}…, expected' in str(caught.value)


def test_store_describes_itself(path):
    """`repr`, `location` and `lock_timeout` show what the store was made with."""
    store = JsonFileStore(path, lock_timeout=2.5)

    assert repr(store) == f"JsonFileStore({str(path)!r}, lock_timeout=2.5)"
    assert store.location == str(path)
    assert store.lock_timeout == 2.5
    assert store.lock_path == path.with_name("breaker.json.lock")
