"""Orders in the store: journal first, every change saved, history never duplicated or lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from scalpbot.domain import Instrument, Order, OrderStatus, OrderType, Side, StatusChange
from scalpbot.store import RecordNotFound, Store, StoreError
from scalpbot.store.models import OrderRow, OrderStatusRow
from store_support import EQUITY, ODD_TICK, SECOND, T0, limit_order

pytest_plugins = ["store_fixtures"]


def _history_rows(store: Store) -> int:
    with store.session() as db:
        return int(db.scalar(select(func.count(OrderStatusRow.id))) or 0)


def _order_rows(store: Store) -> int:
    with store.session() as db:
        return int(db.scalar(select(func.count(OrderRow.id))) or 0)


def test_an_order_round_trips_through_every_status_without_duplicate_history(
    store: Store, session_id: int
) -> None:
    order = limit_order()
    store.orders.save(order, session_id)  # journal first: stored before it is sent
    stored = store.orders.get("C1")
    assert stored == order
    assert stored is not None and stored.status is OrderStatus.PENDING_SUBMIT

    steps = [
        (OrderStatus.UNKNOWN, "timeout after send"),
        (OrderStatus.OPEN, "found in the order book"),
        (OrderStatus.PENDING_MODIFY, "price change"),
        (OrderStatus.OPEN, "modified"),
        (OrderStatus.PENDING_CANCEL, "user cancel"),
        (OrderStatus.OPEN, "cancel refused"),
    ]
    for i, (status, reason) in enumerate(steps, start=1):
        order.transition(status, T0 + i * SECOND, reason)
        store.orders.save(order, session_id)
        store.orders.save(order, session_id)  # a repeated save adds nothing
    order.broker_order_id = "240101000123"
    order.record_fill(50, Decimal("1234567.8905"), T0 + 10 * SECOND)
    order.record_fill(50, Decimal("1234567.8930"), T0 + 11 * SECOND)
    store.orders.save(order, session_id)
    order.record_fill(50, Decimal("1234567.8955"), T0 + 12 * SECOND)
    store.orders.save(order, session_id)
    store.orders.save(order, session_id)

    back = store.orders.get("C1")
    assert back == order  # every field, history included, instrument included
    assert back is not None
    assert back.status is OrderStatus.FILLED
    assert back.broker_order_id == "240101000123"
    assert back.average_price == Decimal("1234567.893")
    assert back.resting_status is OrderStatus.OPEN
    assert [c.status for c in back.history] == [
        OrderStatus.PENDING_SUBMIT,
        *(s for s, _ in steps),
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.FILLED,
    ]
    assert _history_rows(store) == len(order.history) == 10
    assert store.orders.count(session_id) == 1


def test_prices_and_instrument_come_back_exactly(store: Store, session_id: int) -> None:
    order = limit_order(price="1234567.8905")
    order.record_fill(1, Decimal("100.0025"), T0)
    order.record_fill(2, Decimal("100.0050"), T0)  # average 100.00416666... (28 digits)
    store.orders.save(order, session_id)
    back = store.orders.get("C1")
    assert back is not None
    assert back.price == Decimal("1234567.8905")
    assert str(back.price) == "1234567.8905"
    assert back.average_price == order.average_price
    assert back.average_price == Decimal("300.0125") / 3
    assert back.instrument == ODD_TICK
    assert back.instrument.tick_size == Decimal("0.0025")
    assert back.instrument.strike == Decimal("24000")


def test_for_session_working_and_count(store: Store, session_id: int) -> None:
    other = store.sessions.create("paper", "paper", [], {}, None, None)
    first = limit_order("A", price="10.0025")
    second = replace(limit_order("B"), created_ts=T0 + SECOND, history=[])
    stop = Order(
        "S",
        EQUITY,
        Side.SELL,
        5,
        OrderType.SL_M,
        trigger_price=Decimal("2450.05"),
        role="stop",
        parent_id="A",
        created_ts=T0 + 2 * SECOND,
    )
    for order in (stop, second, first):
        store.orders.save(order, session_id)
    store.orders.save(limit_order("elsewhere"), other)
    second.transition(OrderStatus.REJECTED, T0 + 3 * SECOND, "insufficient margin")
    store.orders.save(second, session_id)

    assert [o.client_order_id for o in store.orders.for_session(session_id)] == ["A", "B", "S"]
    assert [o.client_order_id for o in store.orders.working(session_id)] == ["A", "S"]
    assert store.orders.count(session_id) == 3
    assert store.orders.count(other) == 1
    back_stop = store.orders.get("S")
    assert back_stop == stop
    assert back_stop is not None and back_stop.parent_id == "A" and back_stop.price is None
    assert store.orders.get("missing") is None


def test_a_failed_save_leaves_row_and_history_unchanged(store: Store, session_id: int) -> None:
    order = limit_order()
    store.orders.save(order, session_id)
    order.transition(OrderStatus.OPEN, T0 + SECOND, "accepted")
    # The order row is updated first; the broken history entry then fails the INSERT.
    order.history.append(StatusChange(None, OrderStatus.CANCELLED, "broken"))  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="saving order 'C1'"):
        store.orders.save(order, session_id)
    back = store.orders.get("C1")
    assert back is not None
    assert back.status is OrderStatus.PENDING_SUBMIT
    assert len(back.history) == 1
    assert _history_rows(store) == 1


def test_invalid_instrument_data_writes_nothing(store: Store, session_id: int) -> None:
    bad = Instrument(ODD_TICK.exchange, "BAD", tick_size=0.05)  # type: ignore[arg-type]
    order = replace(limit_order("BAD1"), instrument=bad)
    with pytest.raises(StoreError, match="float is already inexact"):
        store.orders.save(order, session_id)
    assert _order_rows(store) == 0
    assert _history_rows(store) == 0
    assert store.orders.get("BAD1") is None


def test_an_order_needs_an_existing_session_and_keeps_its_own(
    store: Store, session_id: int
) -> None:
    with pytest.raises(RecordNotFound, match="no trading session with id 999"):
        store.orders.save(limit_order(), 999)
    store.orders.save(limit_order(), session_id)
    other = store.sessions.create("paper", "paper", [], {}, None, None)
    with pytest.raises(StoreError, match=f"belongs to session {session_id}, not {other}"):
        store.orders.save(limit_order(), other)


def test_a_different_history_under_the_same_id_is_refused(store: Store, session_id: int) -> None:
    order = limit_order()
    order.transition(OrderStatus.OPEN, T0 + SECOND)
    store.orders.save(order, session_id)
    impostor = limit_order()  # same id, history starting over
    with pytest.raises(StoreError, match="it is not the order saved under that id"):
        store.orders.save(impostor, session_id)
    rewritten = limit_order()
    rewritten.transition(OrderStatus.REJECTED, T0 + SECOND, "no margin")
    with pytest.raises(StoreError, match="history cannot be rewritten"):
        store.orders.save(rewritten, session_id)
    assert store.orders.get("C1") == order


def test_writers_of_separate_stores_wait_for_each_other(store_url: str) -> None:
    """Two processes (here: two stores with their own connections, in threads) saving orders
    at once: every save is read-then-write, and none may fail with "database is locked"."""
    with Store.open(store_url) as first:
        sid = first.sessions.create("paper", "paper", [], {}, None, None)

    def save_orders(prefix: str) -> int:
        with Store.open(store_url) as own:
            for i in range(15):
                order = limit_order(f"{prefix}{i}")
                own.orders.save(order, sid)
                order.transition(OrderStatus.OPEN, T0 + SECOND)
                own.orders.save(order, sid)
            return own.orders.count(sid)

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(save_orders, ["x", "y", "z"]))
    with Store.open(store_url) as check:
        assert check.orders.count(sid) == 45
        assert all(o.status is OrderStatus.OPEN for o in check.orders.for_session(sid))
