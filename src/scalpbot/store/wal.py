"""Moving SQLite's write-ahead log into the database file off the order path.

SQLite in WAL mode checkpoints by itself: the commit that takes the log past 1,000 pages copies
it into the database before returning. That commit is, more often than not, an order's journal
write — the one thing an order waits for before it is sent — and it takes milliseconds instead
of a fraction of one (it was the whole of the live path's p99). So scalpbot's connections turn
the automatic checkpoint off and this thread runs a PASSIVE checkpoint every second instead: it
copies what no reader still needs, never blocks a writer, and releases the GIL while SQLite
works. Closing the store truncates the log.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

INTERVAL_S = 1.0


class WalCheckpointer:
    """A daemon thread checkpointing the SQLite file at `path` every `interval_s` seconds."""

    def __init__(self, path: str, interval_s: float = INTERVAL_S) -> None:
        self.path = path
        self.interval_s = interval_s
        self.checkpoints = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="scalpbot-wal-checkpoint", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and truncate the log (the store is closing)."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._checkpoint("TRUNCATE")

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            if not self._checkpoint("PASSIVE"):
                return

    def _checkpoint(self, mode: str) -> bool:
        """One checkpoint; False when the database is gone (nothing left to do)."""
        try:
            with sqlite3.connect(self.path, timeout=5, isolation_level=None) as connection:
                connection.execute(f"PRAGMA wal_checkpoint({mode})")
            self.checkpoints += 1
            return True
        except sqlite3.Error as exc:
            log.debug("WAL checkpoint of %s skipped: %s", self.path, exc)
            return False
