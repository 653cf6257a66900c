"""What every repository shares: a way to run one transaction, and small argument checks."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy.orm import Session

from scalpbot.store.errors import StoreError

#: Opens one transaction; the text says what it does, for the error message if it fails.
Transaction = Callable[[str], AbstractContextManager[Session]]


class Repository:
    """A group of tables behind methods that each run in one transaction of their own.

    Methods that write use `_write`: on SQLite it takes the write lock when the transaction
    begins (BEGIN IMMEDIATE), so a read-then-write waits for another process's writer instead
    of failing with "database is locked" half-way. Methods that only read use `_read`, which
    never blocks (WAL lets readers run beside the writer).
    """

    def __init__(self, write: Transaction, read: Transaction) -> None:
        self._write = write
        self._read = read


def require_text(value: object, what: str, max_length: int) -> str:
    """`value` if it is a non-empty string of at most `max_length` characters."""
    if not isinstance(value, str) or not value.strip():
        raise StoreError(f"{what} must be a non-empty string, got {value!r}")
    if len(value) > max_length:
        raise StoreError(f"{what} is longer than {max_length} characters: {value[:40]!r}…")
    return value


def require_int(value: object, what: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StoreError(f"{what} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise StoreError(f"{what} must be at least {minimum}, got {value}")
    return value


def require_limit(limit: int) -> int:
    return require_int(limit, "limit", minimum=1)
