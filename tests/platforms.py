"""What a test needs that some systems lack: one skip marker each, with the reason, here only.

CI runs the suite on Linux, macOS and Windows (`.github/workflows/ci.yml`). A test that
cannot work on one of them takes the marker below that says why, and is skipped there
and only there: on Linux every one of these tests runs. What can be simulated instead
(an event loop without `add_signal_handler`, no SIGHUP, a rename that Windows refuses)
is tested everywhere; see tests/cli/test_nothing_lost.py and tests/state/test_file_edges.py.

Import them by name: `from platforms import NO_SIGNALS_TO_A_CHILD` (this folder is on
`sys.path`, as for every conftest.py).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Final

import pytest

WINDOWS: Final = sys.platform == "win32"

NO_SIGNALS_TO_A_CHILD: Final = pytest.mark.skipif(
    WINDOWS,
    reason=(
        "Windows cannot send SIGINT or SIGHUP to a child process, and its SIGTERM is"
        " TerminateProcess, which no handler sees"
    ),
)
NO_PTHREAD_KILL: Final = pytest.mark.skipif(
    not hasattr(signal, "pthread_kill"),
    reason="Windows has no pthread_kill to deliver Ctrl-C to the main thread",
)
NO_RLIMIT_NOFILE: Final = pytest.mark.skipif(
    WINDOWS, reason="Windows has no RLIMIT_NOFILE (the resource module is POSIX)"
)
NO_FIFOS: Final = pytest.mark.skipif(
    not hasattr(os, "mkfifo"), reason="Windows has no FIFOs (os.mkfifo)"
)
NO_SYMLINKS: Final = pytest.mark.skipif(
    WINDOWS,
    reason="a symlink on Windows needs a privilege (or developer mode) CI runners do not have",
)
NO_FILE_MODES: Final = pytest.mark.skipif(
    WINDOWS, reason="Windows has no POSIX permission bits (umask, 0o600)"
)
NO_PERMISSION_CHECKS: Final = pytest.mark.skipif(
    WINDOWS or os.geteuid() == 0,
    reason="Windows ignores POSIX file modes, and root may read any file",
)
NAME_TOO_LONG_IS_ANOTHER_ERROR: Final = pytest.mark.skipif(
    WINDOWS,
    reason="Windows has no ENAMETOOLONG: a name past its path limit fails with another error",
)
NO_DEV_FULL: Final = pytest.mark.skipif(
    not Path("/dev/full").exists(), reason="needs /dev/full, which Linux has and macOS lacks"
)
NO_DEV_ZERO: Final = pytest.mark.skipif(
    not Path("/dev/zero").exists(), reason="needs /dev/zero, which Windows lacks"
)
NO_SIGHUP: Final = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="Windows has no SIGHUP")
OPEN_FILES_BLOCK_RENAMES: Final = pytest.mark.skipif(
    WINDOWS,
    reason=(
        "Windows refuses os.replace over a file another process holds open, and a reader"
        " in a tight loop holds it open almost all the time (the one-second retry is for"
        " an editor or a virus scanner, not for that)"
    ),
)
