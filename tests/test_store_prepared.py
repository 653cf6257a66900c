"""The journal's fast path: statements compiled once and run on a driver connection must store
exactly what the ORM models describe, and fail as every other store write fails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, insert, select

from scalpbot.domain import OrderStatus, StatusChange
from scalpbot.store import Store, StoreError
from scalpbot.store.convert import order_columns
from scalpbot.store.engine import create_store_engine
from scalpbot.store.models import OrderRow, OrderStatusRow
from scalpbot.store.prepared import PreparedStatement, driver_transaction
from store_support import ODD_TICK, limit_order

pytest_plugins = ["store_fixtures"]

ORDERS = OrderRow.__table__
HISTORY = OrderStatusRow.__table__


@pytest.fixture
def engine(store: Store, store_url: str) -> Iterator[Engine]:
    """A second engine on the migrated database, for statements outside the repositories."""
    made = create_store_engine(store_url)
    try:
        yield made
    finally:
        made.dispose()


def _rows(store: Store, table: type[OrderRow] | type[OrderStatusRow]) -> int:
    with store.session() as db:
        return int(db.scalar(select(func.count(table.id))) or 0)


def test_the_fast_path_stores_what_the_models_read_back(store: Store, session_id: int) -> None:
    order = limit_order("P1", price="1234567.8905")
    order = replace(
        order,
        instrument=replace(ODD_TICK, expiry=dt.date(2024, 12, 26)),
        reason="première — ₹ note",
    )
    before = dt.datetime.now(dt.UTC)
    store.orders.save(order, session_id)
    with store.session() as db:
        row = db.scalars(select(OrderRow).where(OrderRow.client_order_id == "P1")).one()
        assert row.price == Decimal("1234567.8905")  # exact, not a float's neighbour
        assert row.tick_size == Decimal("0.0025") and row.strike == Decimal("24000")
        assert row.expiry == dt.date(2024, 12, 26)
        assert row.reason == "première — ₹ note"
        assert row.session_id == session_id
        assert row.created_at.tzinfo is not None
        assert before - dt.timedelta(seconds=1) <= row.created_at <= dt.datetime.now(dt.UTC)
        assert row.updated_at == row.created_at
        history = db.scalars(select(OrderStatusRow).where(OrderStatusRow.order_id == row.id))
        assert [(h.seq, h.status) for h in history] == [(0, "PENDING_SUBMIT")]
    assert store.orders.get("P1") == order


def test_an_update_moves_updated_at_and_keeps_created_at(store: Store, session_id: int) -> None:
    order = limit_order("P2")
    store.orders.save(order, session_id)
    with store.session() as db:
        created = db.scalars(select(OrderRow.created_at)).one()
    order.transition(OrderStatus.OPEN, order.created_ts + 1)
    store.orders.save(order, session_id)
    with store.session() as db:
        row = db.scalars(select(OrderRow)).one()
        assert row.created_at == created and row.updated_at >= created
        assert row.status == "OPEN"


def test_a_column_with_a_python_side_default_must_be_passed(engine: Engine) -> None:
    keys = [c.key for c in ORDERS.c if c.key not in ("id", "created_at")]
    with pytest.raises(ValueError, match="created_at"):
        PreparedStatement(insert(ORDERS), engine.dialect, keys)


def test_a_value_the_column_refuses_names_the_column(store: Store, session_id: int) -> None:
    order = replace(limit_order("P3"), price=1234.5)  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="column price: money must be a Decimal"):
        store.orders.save(order, session_id)
    assert _rows(store, OrderRow) == 0


def test_a_driver_error_rolls_back_the_whole_write_and_says_what_it_was(
    store: Store, session_id: int, engine: Engine
) -> None:
    keys = [c.key for c in ORDERS.c if c.key != "id"]
    insert_order = PreparedStatement(insert(ORDERS), engine.dialect, keys)
    insert_history = PreparedStatement(
        insert(HISTORY), engine.dialect, ["order_id", "seq", "ts", "status", "reason"]
    )
    now = dt.datetime.now(dt.UTC)
    values = {"session_id": session_id, "created_at": now, "updated_at": now}
    values |= order_columns(limit_order("P4"))
    refused = r"saving P4 failed: .*(FOREIGN KEY|foreign key)"
    with pytest.raises(StoreError, match=refused), driver_transaction(engine, "saving P4") as write:
        insert_order.execute(write.cursor, values)
        insert_history.execute(  # no order 987654: the database refuses
            write.cursor,
            {"order_id": 987654, "seq": 0, "ts": 1, "status": "OPEN", "reason": ""},
        )
    assert _rows(store, OrderRow) == 0 and _rows(store, OrderStatusRow) == 0
    store.orders.save(limit_order("P4"), session_id)  # the pooled connection is usable again
    assert _rows(store, OrderRow) == 1


def test_an_error_raised_after_the_order_row_went_in_rolls_the_row_back(
    store: Store, session_id: int
) -> None:
    order = limit_order("P5")
    order.history.append(StatusChange(order.created_ts + 1, "NOT-A-STATUS", ""))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NOT-A-STATUS"):
        store.orders.save(order, session_id)  # the order row is inserted before its history
    assert _rows(store, OrderRow) == 0 and _rows(store, OrderStatusRow) == 0
