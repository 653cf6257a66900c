"""`IntentLog`: a new order, appended to a file of this process before its request leaves.

Journal first means an order is in the store before it is sent, so that a crash between the
two leaves a record to reconcile. Inside a live session a database write on that path costs
0.3-1 ms (a sleeping process's caches are cold when the tick that wakes it arrives, and SQLite's
calls hand the GIL to the gateway's threads); appending one line to a file costs a few
microseconds. So a new order is appended here, sent, and then written to the database in the
same event-loop turn. The store is the database *and* these files: `Store.open` folds the
intents of every process that is gone into the database before anyone reads it, so a crash
between the append and the database write loses nothing.

A line reaches the file with one `write(2)` on a descriptor opened `O_APPEND`: the kernel
keeps it whole against the death of the process (the same guarantee SQLite's WAL gives with
synchronous=NORMAL; a power cut is out of scope for both). A short write (a full disk) raises,
and the order is not sent. Each process owns one file, held with an exclusive `flock` while it
lives: that is how `fold_orphans` tells a dead process's file from a live one's.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from scalpbot.domain import Order
from scalpbot.store.convert import order_columns
from scalpbot.store.errors import StoreError

log = logging.getLogger(__name__)

SUFFIX = ".intents"
#: An own file holding nothing unsettled is emptied once it is larger than this.
TRUNCATE_AT_BYTES = 1 << 20
_DECIMALS = ("tick_size", "strike", "price", "trigger_price", "average_price")


@dataclass(frozen=True)
class Intent:
    """An order as appended: its session, its columns and its status history so far."""

    session_id: int
    columns: dict[str, Any]
    history: list[tuple[int, str, str]]

    @property
    def client_order_id(self) -> str:
        return str(self.columns["client_order_id"])


def _encode(session_id: int, order: Order) -> bytes:
    columns = order_columns(order)
    for name in _DECIMALS:
        if columns[name] is not None:
            columns[name] = str(columns[name])
    if columns["expiry"] is not None:
        columns["expiry"] = columns["expiry"].isoformat()
    history = [(c.ts, str(c.status.value), c.reason) for c in order.history]
    line = json.dumps({"session": session_id, "order": columns, "history": history})
    return (line + "\n").encode()


def _decode(line: bytes) -> Intent:
    record = json.loads(line)
    columns = dict(record["order"])
    for name in _DECIMALS:
        if columns[name] is not None:
            columns[name] = Decimal(columns[name])
    if columns["expiry"] is not None:
        columns["expiry"] = dt.date.fromisoformat(columns["expiry"])
    history = [(int(ts), str(status), str(reason)) for ts, status, reason in record["history"]]
    return Intent(int(record["session"]), columns, history)


class IntentLog:
    """This process's intent file in `directory` (created on first use)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{os.getpid()}-{time.time_ns()}{SUFFIX}"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ours while we live
        self._unsettled: set[str] = set()
        self._size = 0

    def append(self, session_id: int, order: Order) -> None:
        """Append `order`; when this returns it survives the death of this process."""
        line = _encode(session_id, order)
        written = os.write(self._fd, line)
        if written != len(line):
            raise StoreError(
                f"order {order.client_order_id!r}: only {written} of {len(line)} bytes of its "
                f"intent reached {self.path} (disk full?)"
            )
        self._size += written
        self._unsettled.add(order.client_order_id)

    def settled(self, client_order_id: str) -> None:
        """The order is in the database now; empty the file once nothing in it is unsettled."""
        self._unsettled.discard(client_order_id)
        if not self._unsettled and self._size > TRUNCATE_AT_BYTES:
            os.ftruncate(self._fd, 0)
            self._size = 0

    @property
    def unsettled(self) -> int:
        return len(self._unsettled)

    def close(self) -> None:
        """Release the file; it is removed if every intent in it reached the database (else
        the next `Store.open` folds what is left)."""
        if self._fd < 0:
            return
        if not self._unsettled:
            self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = -1


def _orphans(directory: Path) -> Iterator[tuple[Path, int]]:
    """Intent files whose process is gone, each with a descriptor holding its lock."""
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue  # folded by another process meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)  # its process is alive and folds its own
            continue
        yield path, fd


def read_intents(path: Path) -> list[Intent]:
    """The intents of a file; a last line without its newline was never wholly written, so
    its order was never sent, and it is skipped."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    if lines and lines[-1]:
        log.warning("%s: skipping a torn last line (%d bytes)", path, len(lines[-1]))
    intents = []
    for number, line in enumerate(lines[:-1], start=1):
        try:
            intents.append(_decode(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{path}, line {number}: not an order intent: {exc}") from exc
    return intents


def fold_orphans(directory: Path, fold: Callable[[Intent], None]) -> int:
    """Hand every intent of every dead process's file to `fold` (which must write it to the
    database if it is not there yet), then remove the file. Returns the intents handed over."""
    if not directory.is_dir():
        return 0
    count = 0
    for path, fd in _orphans(directory):
        try:
            for intent in read_intents(path):
                fold(intent)
                count += 1
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)
    return count
