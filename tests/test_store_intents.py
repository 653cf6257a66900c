"""A new order's intent line: the store's quick record of an order before it is sent. Whatever
dies between the line and the database write, the next `Store.open` finds the order."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scalpbot.domain import OrderStatus
from scalpbot.store import Store, StoreError, intent_log, sqlite_url
from scalpbot.store.intent_log import IntentLog, read_intents
from store_support import SECOND, T0, limit_order, postgres_database

SRC = Path(__file__).resolve().parents[1] / "src"
TESTS = Path(__file__).resolve().parent


def _intent_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.intents"))


def _store(tmp_path: Path) -> Store:
    return Store.open(sqlite_url(tmp_path / "scalpbot.db"))


def test_a_killed_process_leaves_its_order_to_the_next_open(tmp_path: Path) -> None:
    """A child journals an order as an intent and dies before writing it to the database."""
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path[:0] = [{str(SRC)!r}, {str(TESTS)!r}]
        from scalpbot.store import Store, sqlite_url
        from store_support import limit_order
        from pathlib import Path
        store = Store.open(sqlite_url(Path({str(tmp_path / "scalpbot.db")!r})))
        session = store.sessions.create("live", "zerodha", [], {{}}, None, None)
        store.orders.journal_new(limit_order("K1"), session)
        os._exit(9)  # no save, no close: as SIGKILL would leave it
        """
    )
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert child.returncode == 9, child.stderr
    folder = tmp_path / "scalpbot.db-intents"
    assert len(_intent_files(folder)) == 1
    with _store(tmp_path) as store:
        order = store.orders.get("K1")
        assert order == limit_order("K1")  # columns and history as journaled
        assert order.status is OrderStatus.PENDING_SUBMIT
        assert store.orders.working(1) == [order]  # what a live restart reconciles
    assert _intent_files(folder) == []


def test_a_live_process_folds_its_own_intents_and_nobody_else_does(tmp_path: Path) -> None:
    first = _store(tmp_path)
    session = first.sessions.create("live", "zerodha", [], {}, None, None)
    order = limit_order("A1")
    first.orders.journal_new(order, session)
    with _store(tmp_path) as second:  # e.g. the dashboard's process, opened meanwhile
        assert second.orders.get("A1") is None  # not folded: its owner is alive
    assert len(_intent_files(tmp_path / "scalpbot.db-intents")) == 1
    first.orders.save(order, session)  # the request has left: the full write
    with _store(tmp_path) as second:
        assert second.orders.get("A1") == order
    first.close()
    assert _intent_files(tmp_path / "scalpbot.db-intents") == []  # all settled: removed


def test_closing_with_an_unsettled_intent_keeps_it_for_the_next_open(tmp_path: Path) -> None:
    store = _store(tmp_path)
    session = store.sessions.create("live", "zerodha", [], {}, None, None)
    store.orders.journal_new(limit_order("U1"), session)
    store.close()  # e.g. the database write failed and the session stopped
    assert len(_intent_files(tmp_path / "scalpbot.db-intents")) == 1
    with _store(tmp_path) as reopened:
        assert reopened.orders.get("U1") == limit_order("U1")


def test_an_intent_never_rewinds_an_order_the_database_has_further_along(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    session = store.sessions.create("live", "zerodha", [], {}, None, None)
    order = limit_order("F1")
    store.orders.journal_new(order, session)
    order.transition(OrderStatus.OPEN, T0 + SECOND)
    order.broker_order_id = "B1"
    other = _store(tmp_path)
    other.orders.save(order, session)  # the database got further than the intent
    other.close()
    store.close()  # leaves the intent unsettled (this process never saved F1 itself)
    with _store(tmp_path) as reopened:
        stored = reopened.orders.get("F1")
        assert stored is not None and stored.status is OrderStatus.OPEN
        assert stored.broker_order_id == "B1"


def test_a_torn_last_line_is_skipped_and_a_damaged_line_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "scalpbot.db-intents"
    store = _store(tmp_path)
    session = store.sessions.create("live", "zerodha", [], {}, None, None)
    store.orders.journal_new(limit_order("T1"), session)
    store.close()
    (path,) = _intent_files(folder)
    with path.open("ab") as file:
        file.write(b'{"session": 1, "order": {"client_or')  # a write cut short: never sent
    assert [i.client_order_id for i in read_intents(path)] == ["T1"]
    with _store(tmp_path) as reopened:
        assert reopened.orders.get("T1") is not None
    damaged = folder / "1-1.intents"
    damaged.write_bytes(b"not json at all\n")
    with pytest.raises(StoreError, match=r"1-1\.intents, line 1: not an order intent"):
        _store(tmp_path)
    assert damaged.exists()  # kept for a person to look at, nothing half-folded


def test_an_own_file_is_emptied_once_everything_in_it_is_settled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intent_log, "TRUNCATE_AT_BYTES", 1_000)
    log = IntentLog(tmp_path / "intents")
    orders = [limit_order(f"S{n}") for n in range(8)]
    for order in orders:
        log.append(7, order)
    assert log.path.stat().st_size > 1_000 and log.unsettled == 8
    for order in orders[:-1]:
        log.settled(order.client_order_id)
    assert log.path.stat().st_size > 1_000  # one still unsettled: nothing may go
    log.settled(orders[-1].client_order_id)
    assert log.path.stat().st_size == 0
    log.close()
    assert not log.path.exists()


def test_postgresql_journals_to_the_database_unless_given_a_folder(tmp_path: Path) -> None:
    with postgres_database() as url:
        with Store.open(url) as store:
            assert store.intents_dir is None
            session = store.sessions.create("live", "zerodha", [], {}, None, None)
            store.orders.journal_new(limit_order("P1"), session)
            assert store.orders.get("P1") == limit_order("P1")  # written at once
        folder = tmp_path / "intents"
        store = Store.open(url, intents_dir=folder)
        store.orders.journal_new(limit_order("P2"), session)
        assert store.orders.get("P2") is None and len(_intent_files(folder)) == 1
        store.close()
        with Store.open(url, intents_dir=folder) as reopened:
            assert reopened.orders.get("P2") == limit_order("P2")
