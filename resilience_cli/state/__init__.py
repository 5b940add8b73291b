"""Where the circuit breaker's state lives between CLI runs.

Each command is a new process, so the breaker remembers through a `BreakerStore`: the
JSON file of `JsonFileStore` today, Redis later so that machines can share one breaker.
"""

from resilience_cli.state.json_file import (
    DEFAULT_STATE_PATH,
    KIND,
    SCHEMA_VERSION,
    STATE_FILE_ENV,
    JsonFileStore,
    default_state_path,
)
from resilience_cli.state.store import BreakerStore, StateTransaction

__all__ = [
    "DEFAULT_STATE_PATH",
    "KIND",
    "SCHEMA_VERSION",
    "STATE_FILE_ENV",
    "BreakerStore",
    "JsonFileStore",
    "StateTransaction",
    "default_state_path",
]
