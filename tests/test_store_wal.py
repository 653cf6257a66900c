"""SQLite's write-ahead log is checkpointed by a background thread, not by whichever commit
happens to cross the threshold (that commit was an order's journal write, and the whole of the
live path's p99)."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from scalpbot.domain import Exchange, Instrument, Order, OrderType, Side
from scalpbot.store import Store


def test_commits_never_checkpoint_and_the_thread_does(tmp_path: Path) -> None:
    path = tmp_path / "scalpbot.db"
    store = Store.open(f"sqlite:///{path}")
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
    session = store.sessions.create(
        mode="paper", broker="paper", strategies=[], config={}, data_source=None, resume_key="k"
    )
    instrument = Instrument(Exchange.NSE, "X", tick_size=Decimal("0.05"))
    for number in range(300):
        order = Order(f"W{number}", instrument, Side.BUY, 1, OrderType.MARKET, created_ts=1)
        store.orders.save(order, session)
    wal = Path(f"{path}-wal")
    assert wal.stat().st_size > 0
    checkpointer = store._checkpointer
    assert checkpointer is not None
    deadline = time.monotonic() + 10
    while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert checkpointer.checkpoints >= 1
    store.close()
    assert not wal.exists() or wal.stat().st_size == 0  # closing truncates the log
    with Store.open(f"sqlite:///{path}") as again:  # and everything is in the database file
        assert again.orders.count(session) == 300


def test_a_memory_database_has_no_checkpointer() -> None:
    with Store.open("sqlite://") as store:
        assert store._checkpointer is None
