"""The paper exchange's book as plain JSON-able data, so a paper session survives a restart.

Prices travel as strings (exact Decimals), enums as their values, instruments in full (the
exchange needs tick and lot size to go on matching). Reading is strict: a damaged state file
raises `DataError` naming the entry and field, and nothing is half-loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from scalpbot.brokers.paper.resting import RestingOrder, order_problem
from scalpbot.domain.enums import (
    Exchange,
    InstrumentType,
    OrderType,
    Product,
    Side,
    Validity,
    parse_enum,
)
from scalpbot.domain.errors import DataError
from scalpbot.domain.instrument import Instrument
from scalpbot.domain.order import OrderStatus

STATE_FORMAT = "scalpbot.paper-exchange/1"
E = TypeVar("E", bound=StrEnum)


def _problem(where: str, message: str) -> DataError:
    return DataError(f"paper exchange state, {where}: {message}")


def get_field(data: Mapping[str, Any], key: str, where: str) -> Any:
    """`data[key]`, or a `DataError` naming what is missing where."""
    if not isinstance(data, Mapping):
        raise _problem(where, f"expected an object, got {type(data).__name__}")
    if key not in data:
        raise _problem(where, f"missing field {key!r}")
    return data[key]


def text_field(data: Mapping[str, Any], key: str, where: str) -> str:
    value = get_field(data, key, where)
    if not isinstance(value, str):
        raise _problem(where, f"{key!r} must be a string, got {value!r}")
    return value


def int_field(data: Mapping[str, Any], key: str, where: str, minimum: int = 0) -> int:
    value = get_field(data, key, where)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _problem(where, f"{key!r} must be an integer >= {minimum}, got {value!r}")
    return value


def enum_field(kind: type[E], data: Mapping[str, Any], key: str, where: str) -> E:
    value = text_field(data, key, where)
    try:
        return parse_enum(kind, value)
    except ValueError as exc:
        raise _problem(where, f"{key!r}: {exc}") from None


def _decimal_field(data: Mapping[str, Any], key: str, where: str) -> Decimal | None:
    value = get_field(data, key, where)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _problem(where, f"{key!r} must be a decimal string or null, got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _problem(where, f"{key!r} is not a number: {value!r}") from None
    if not number.is_finite():
        raise _problem(where, f"{key!r} must be finite, got {value!r}")
    return number


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


def instrument_to_dict(instrument: Instrument) -> dict[str, Any]:
    return {
        "exchange": instrument.exchange.value,
        "symbol": instrument.symbol,
        "instrument_type": instrument.instrument_type.value,
        "tick_size": str(instrument.tick_size),
        "lot_size": instrument.lot_size,
        "segment": instrument.segment,
        "expiry": _optional(instrument.expiry and instrument.expiry.isoformat()),
        "strike": _optional(instrument.strike),
        "name": instrument.name,
    }


def instrument_from_dict(data: Mapping[str, Any], where: str) -> Instrument:
    where = f"{where}, instrument"
    expiry_text = get_field(data, "expiry", where)
    try:
        expiry = None if expiry_text is None else date.fromisoformat(str(expiry_text))
    except ValueError:
        raise _problem(where, f"'expiry' is not a date: {expiry_text!r}") from None
    tick_size = _decimal_field(data, "tick_size", where)
    if tick_size is None:
        raise _problem(where, "'tick_size' must not be null")
    try:
        return Instrument(
            exchange=enum_field(Exchange, data, "exchange", where),
            symbol=text_field(data, "symbol", where),
            instrument_type=enum_field(InstrumentType, data, "instrument_type", where),
            tick_size=tick_size,
            lot_size=int_field(data, "lot_size", where, minimum=1),
            segment=text_field(data, "segment", where),
            expiry=expiry,
            strike=_decimal_field(data, "strike", where),
            name=text_field(data, "name", where),
        )
    except ValueError as exc:
        raise _problem(where, str(exc)) from None


def order_to_dict(rec: RestingOrder) -> dict[str, Any]:
    return {
        "client_order_id": rec.client_order_id,
        "broker_order_id": rec.broker_order_id,
        "instrument": instrument_to_dict(rec.instrument),
        "side": rec.side.value,
        "order_type": rec.order_type.value,
        "product": rec.product.value,
        "validity": rec.validity.value,
        "quantity": rec.quantity,
        "filled": rec.filled,
        "price": _optional(rec.price),
        "trigger_price": _optional(rec.trigger_price),
        "submit_ts": rec.submit_ts,
        "seq": rec.seq,
        "triggered": rec.triggered,
    }


def order_from_dict(data: Mapping[str, Any], where: str) -> RestingOrder:
    """A resting order read back and checked as a new order would be."""
    quantity = int_field(data, "quantity", where, minimum=1)
    filled = int_field(data, "filled", where)
    if filled >= quantity:
        raise _problem(where, f"'filled' {filled} leaves nothing of 'quantity' {quantity} resting")
    triggered = get_field(data, "triggered", where)
    if not isinstance(triggered, bool):
        raise _problem(where, f"'triggered' must be true or false, got {triggered!r}")
    rec = RestingOrder(
        client_order_id=text_field(data, "client_order_id", where),
        broker_order_id=text_field(data, "broker_order_id", where),
        instrument=instrument_from_dict(get_field(data, "instrument", where), where),
        side=enum_field(Side, data, "side", where),
        order_type=enum_field(OrderType, data, "order_type", where),
        product=enum_field(Product, data, "product", where),
        validity=enum_field(Validity, data, "validity", where),
        quantity=quantity,
        filled=filled,
        price=_decimal_field(data, "price", where),
        trigger_price=_decimal_field(data, "trigger_price", where),
        submit_ts=int_field(data, "submit_ts", where),
        seq=int_field(data, "seq", where, minimum=1),
        triggered=triggered,
    )
    problem = order_problem(
        rec.instrument, rec.order_type, rec.quantity, rec.price, rec.trigger_price
    )
    if problem:
        raise _problem(where, problem)
    return rec


@dataclass(slots=True)
class BookState:
    """What a `PaperExchange` keeps across a restart (its config is given anew)."""

    id_prefix: str
    orders_sent: int
    fills_sent: int
    resting: list[RestingOrder]
    finished: dict[str, OrderStatus]


def dump_state(book: BookState) -> dict[str, Any]:
    return {
        "format": STATE_FORMAT,
        "id_prefix": book.id_prefix,
        "orders_sent": book.orders_sent,
        "fills_sent": book.fills_sent,
        "resting": [order_to_dict(rec) for rec in book.resting],
        "finished": {cid: status.value for cid, status in book.finished.items()},
    }


def load_state(state: Mapping[str, Any]) -> BookState:
    """Read and check a whole state; resting orders come back in submission order."""
    where = "top level"
    found = get_field(state, "format", where)
    if found != STATE_FORMAT:
        raise _problem(where, f"format is {found!r}; expected {STATE_FORMAT!r}")
    orders_sent = int_field(state, "orders_sent", where)
    finished_data = get_field(state, "finished", where)
    if not isinstance(finished_data, Mapping):
        raise _problem(where, "'finished' must be an object of client order id -> status")
    finished = {
        str(cid): enum_field(OrderStatus, finished_data, cid, "finished") for cid in finished_data
    }
    resting_data = get_field(state, "resting", where)
    if not isinstance(resting_data, list):
        raise _problem(where, "'resting' must be a list")
    resting = [order_from_dict(d, f"resting order #{i + 1}") for i, d in enumerate(resting_data)]
    seen: set[str] = set()
    for i, rec in enumerate(resting):
        where = f"resting order #{i + 1}"
        if rec.client_order_id in seen or rec.client_order_id in finished:
            raise _problem(where, f"client order id {rec.client_order_id!r} appears twice")
        if rec.seq > orders_sent:
            raise _problem(where, f"'seq' {rec.seq} is beyond 'orders_sent' {orders_sent}")
        seen.add(rec.client_order_id)
    resting.sort(key=lambda rec: rec.seq)
    id_prefix = text_field(state, "id_prefix", "top level")
    if not id_prefix.isalnum():
        raise _problem("top level", f"'id_prefix' must be letters/digits, got {id_prefix!r}")
    return BookState(
        id_prefix=id_prefix,
        orders_sent=orders_sent,
        fills_sent=int_field(state, "fills_sent", "top level"),
        resting=resting,
        finished=finished,
    )
