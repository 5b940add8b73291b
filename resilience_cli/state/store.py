"""The seam between the breaker and wherever its state lives between runs.

Every command is a separate process, so the breaker's memory is a store: a JSON file
today, Redis later so that several machines can share one breaker. The commands talk to
`BreakerStore` only. A store keeps snapshots as opaque JSON-able mappings; turning them
into a `CircuitBreaker` (and rejecting a foreign one) is `CircuitBreaker.restore`'s job.

Two processes that each load, update and save would lose one of the updates, so a store
offers a *transaction*: its lock is held from the read to the write. Only the write is
conditional: leave the `with` block by an exception and nothing is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping
    from contextlib import AbstractContextManager


class StateTransaction:
    """One locked read-modify-write: the snapshot read, and the one to write on success."""

    __slots__ = ("_pending", "_replaced", "_snapshot")

    def __init__(self, snapshot: dict[str, object] | None, *, replaced: str | None = None) -> None:
        self._snapshot = snapshot
        self._replaced = replaced
        self._pending: dict[str, object] | None = None

    @property
    def snapshot(self) -> dict[str, object] | None:
        """The snapshot stored when the transaction began; None if there was none yet."""
        return self._snapshot

    @property
    def replaced(self) -> str | None:
        """What was wrong with the broken state this transaction replaces, if it does."""
        return self._replaced

    @property
    def pending(self) -> dict[str, object] | None:
        """The snapshot the store writes when the `with` block ends without an error."""
        return self._pending

    def replace(self, snapshot: Mapping[str, object]) -> None:
        """Write `snapshot` instead of the current one when the transaction succeeds.

        The mapping is copied, so later changes to it are not written; the last call wins.
        """
        self._pending = dict(snapshot)


class BreakerStore(Protocol):
    """Where the breaker's snapshot lives between CLI runs."""

    @property
    def location(self) -> str:
        """Where the state lives, for messages and `resilience state` (a path, a URL)."""
        ...

    def load(self) -> dict[str, object] | None:
        """The stored snapshot, or None if there is none yet (a fresh CLOSED breaker).

        Raises:
            StateFileError: the stored state is corrupt, foreign, newer or unreadable.
            StateStoreError: the store itself failed.
        """
        ...

    def save(self, snapshot: Mapping[str, object]) -> None:
        """Store `snapshot`, replacing any earlier one, as one locked transaction.

        Raises:
            StateFileError: the stored state is corrupt: it is kept, never overwritten.
            StateStoreError: the store failed, or its lock was held for too long.
        """
        ...

    @property
    def lock_timeout(self) -> float:
        """Seconds a transaction waits for another command's lock before giving up."""
        ...

    def transaction(
        self, *, wait: float | None = None, replace_broken: bool = False
    ) -> AbstractContextManager[StateTransaction]:
        """Hold the store's lock for a read-modify-write; write only if the block succeeds.

        `wait` overrides `lock_timeout` for this transaction; 0 tries once.
        `replace_broken` is the way out for `resilience reset`: broken state that is the
        store's own reads as None (and `.replaced` says what was wrong); state that is
        not its own still raises.

        Raises:
            StateFileError: the stored state is corrupt: it is kept, never overwritten.
            StateStoreError: the store failed, or its lock was held for too long.
        """
        ...
