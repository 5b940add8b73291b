"""Where the circuit breaker's state lives between CLI runs.

Each command is a new process, so the breaker remembers through a `BreakerStore`: the
JSON file of `JsonFileStore` today, Redis later so that machines can share one breaker.

- `store.py`: the `BreakerStore` seam and its locked `StateTransaction`;
- `json_file.py`, `files.py`: the JSON file, read and written safely;
- `memento.py`: the breaker as it is saved (`BreakerMemento`), and its JSON form;
- `breaker.py`: the saved breaker as commands see it, and the operator's actions;
- `lock_wait.py`: waiting for another command's lock, and saying so.
"""

from resilience_cli.state.json_file import (
    DEFAULT_STATE_PATH,
    KIND,
    MAX_STATE_BYTES,
    SCHEMA_VERSION,
    STATE_FILE_ENV,
    STATE_FOLDER,
    JsonFileStore,
    default_state_path,
)
from resilience_cli.state.store import BreakerStore, StateTransaction

__all__ = [
    "DEFAULT_STATE_PATH",
    "KIND",
    "MAX_STATE_BYTES",
    "SCHEMA_VERSION",
    "STATE_FILE_ENV",
    "STATE_FOLDER",
    "BreakerStore",
    "JsonFileStore",
    "StateTransaction",
    "default_state_path",
]
