"""Rows to domain objects and back: the one place that knows how an `Instrument`, an `Order`
and a `Fill` are laid out in columns.

Reading is strict: a row whose enum text or sizes no longer make a valid domain object raises
`StoreError` naming the record, rather than handing the engine something half-right.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scalpbot.domain import (
    Exchange,
    Fill,
    Instrument,
    InstrumentType,
    Order,
    OrderStatus,
    OrderType,
    Product,
    Side,
    StatusChange,
    Validity,
)
from scalpbot.store.errors import StoreError
from scalpbot.store.models import FillRow, InstrumentColumns, OrderRow, OrderStatusRow


def instrument_columns(instrument: Instrument) -> dict[str, Any]:
    return {
        "exchange": instrument.exchange.value,
        "symbol": instrument.symbol,
        "instrument_type": instrument.instrument_type.value,
        "tick_size": instrument.tick_size,
        "lot_size": instrument.lot_size,
        "segment": instrument.segment,
        "expiry": instrument.expiry,
        "strike": instrument.strike,
        "instrument_name": instrument.name,
    }


def instrument_of(row: InstrumentColumns) -> Instrument:
    return Instrument(
        exchange=Exchange(row.exchange),
        symbol=row.symbol,
        instrument_type=InstrumentType(row.instrument_type),
        tick_size=row.tick_size,
        lot_size=row.lot_size,
        segment=row.segment,
        expiry=row.expiry,
        strike=row.strike,
        name=row.instrument_name,
    )


def order_columns(order: Order) -> dict[str, Any]:
    """Every field of `order` but its history (which goes to `order_status_history`)."""
    return {
        **instrument_columns(order.instrument),
        "client_order_id": order.client_order_id,
        "broker_order_id": order.broker_order_id,
        "side": order.side.value,
        "quantity": order.quantity,
        "order_type": order.order_type.value,
        "product": order.product.value,
        "validity": order.validity.value,
        "price": order.price,
        "trigger_price": order.trigger_price,
        "status": order.status.value,
        "filled_quantity": order.filled_quantity,
        "average_price": order.average_price,
        "strategy_id": order.strategy_id,
        "role": order.role,
        "parent_id": order.parent_id,
        "created_ts": order.created_ts,
        "updated_ts": order.updated_ts,
        "reason": order.reason,
        "resting_status": None if order.resting_status is None else order.resting_status.value,
    }


def history_columns(order_id: int, seq: int, change: StatusChange) -> dict[str, Any]:
    """One row of `order_status_history`, as the columns to insert."""
    return {
        "order_id": order_id,
        "seq": seq,
        "ts": change.ts,
        "status": OrderStatus(change.status).value,
        "reason": change.reason,
    }


def order_of(row: OrderRow, history: Iterable[OrderStatusRow]) -> Order:
    """The domain `Order` of `row`, with its history in the order it happened."""
    try:
        changes = [
            StatusChange(h.ts, OrderStatus(h.status), h.reason)
            for h in sorted(history, key=lambda h: h.seq)
        ]
        return Order(
            client_order_id=row.client_order_id,
            instrument=instrument_of(row),
            side=Side(row.side),
            quantity=row.quantity,
            order_type=OrderType(row.order_type),
            product=Product(row.product),
            validity=Validity(row.validity),
            price=row.price,
            trigger_price=row.trigger_price,
            status=OrderStatus(row.status),
            filled_quantity=row.filled_quantity,
            average_price=row.average_price,
            broker_order_id=row.broker_order_id,
            strategy_id=row.strategy_id,
            role=row.role,
            parent_id=row.parent_id,
            created_ts=row.created_ts,
            updated_ts=row.updated_ts,
            reason=row.reason,
            history=changes,
            resting_status=None if row.resting_status is None else OrderStatus(row.resting_status),
        )
    except ValueError as exc:
        raise StoreError(f"stored order {row.client_order_id!r} is damaged: {exc}") from None


def fill_columns(fill: Fill) -> dict[str, Any]:
    return {
        **instrument_columns(fill.instrument),
        "fill_id": fill.fill_id,
        "client_order_id": fill.client_order_id,
        "broker_order_id": fill.broker_order_id,
        "side": fill.side.value,
        "quantity": fill.quantity,
        "price": fill.price,
        "ts": fill.ts,
        "product": fill.product.value,
        "charges": fill.charges,
    }


def fill_of(row: FillRow) -> Fill:
    try:
        return Fill(
            fill_id=row.fill_id,
            client_order_id=row.client_order_id,
            instrument=instrument_of(row),
            side=Side(row.side),
            quantity=row.quantity,
            price=row.price,
            ts=row.ts,
            product=Product(row.product),
            broker_order_id=row.broker_order_id,
            charges=row.charges,
        )
    except ValueError as exc:
        raise StoreError(f"stored fill {row.fill_id!r} is damaged: {exc}") from None
