"""Kite Connect's JSON rows <-> scalpbot's domain types: the one place Kite's field names live.

Reading (Kite -> ours) is strict about what it needs and lenient about what it does not: a
missing or non-numeric quantity or price is a `DataError` naming the order/trade and field,
while fields scalpbot has no use for are ignored. Money is `Decimal` (floats via their repr, so
109.4 stays 109.4); aggregates such as P&L and balances, which Kite computes in floats
(99725.05000000002), are rounded to 1/100 paisa. Kite's times are IST wall-clock strings
("2021-05-31 09:18:57") and become epoch nanoseconds; a null time is 0.

Order statuses (`KITE_STATUS`), decided so a live session never stalls or crashes on one:
- every stage before the exchange has the order (PUT ORDER REQ RECEIVED, VALIDATION PENDING,
  OPEN PENDING, AMO REQ RECEIVED) is OPEN: the broker has accepted it and it may still fill;
  so are MODIFIED and the postback/WebSocket status UPDATE (a modify done, or a partial fill);
- MODIFY VALIDATION PENDING / MODIFY PENDING -> PENDING_MODIFY, CANCEL PENDING ->
  PENDING_CANCEL, TRIGGER PENDING -> TRIGGER_PENDING, COMPLETE -> FILLED;
- an OPEN order with 0 < filled < quantity is PARTIALLY_FILLED; a CANCELLED (or REJECTED)
  one keeps its status and its filled quantity;
- a status Kite adds later maps to UNKNOWN (which counts as working, so nothing is
  forgotten) with the raw status in `reason`, instead of failing the whole order book.

Products: Kite's CO and BO (cover/bracket, squared off intraday) read as MIS and MTF (delivery
bought on margin) as CNC; other unknown values are a `DataError`.

The other direction, Kite's order form, is built in `order_form.py` and re-exported here as
`order_params`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

from scalpbot.brokers.zerodha.instruments import InstrumentMaster
from scalpbot.brokers.zerodha.order_form import order_params as order_params
from scalpbot.domain import (
    Bar,
    ConfigError,
    DataError,
    Fill,
    Funds,
    Instrument,
    InstrumentNotFound,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Product,
    Profile,
    Quote,
    Side,
    StatusChange,
    Validity,
    datetime_to_ns,
    parse_enum,
)
from scalpbot.market.ticks import to_decimal

S = OrderStatus
KITE_STATUS: Mapping[str, OrderStatus] = MappingProxyType(
    {
        "PUT ORDER REQ RECEIVED": S.OPEN,
        "PUT ORDER REQUEST RECEIVED": S.OPEN,  # the spelling in Kite's docs
        "VALIDATION PENDING": S.OPEN,
        "OPEN PENDING": S.OPEN,
        "AMO REQ RECEIVED": S.OPEN,
        "OPEN": S.OPEN,
        "MODIFIED": S.OPEN,
        "UPDATE": S.OPEN,
        "MODIFY VALIDATION PENDING": S.PENDING_MODIFY,
        "MODIFY PENDING": S.PENDING_MODIFY,
        "TRIGGER PENDING": S.TRIGGER_PENDING,
        "CANCEL PENDING": S.PENDING_CANCEL,
        "COMPLETE": S.FILLED,
        "CANCELLED": S.CANCELLED,
        "REJECTED": S.REJECTED,
    }
)
PRODUCT_ALIASES: Mapping[str, Product] = MappingProxyType(
    {"CO": Product.MIS, "BO": Product.MIS, "MTF": Product.CNC}
)
MONEY_PLACES = Decimal("0.0001")
E = TypeVar("E", bound=StrEnum)


def order_status(kite_status: str, quantity: int, filled_quantity: int) -> OrderStatus:
    """Our status for Kite's (see the module docstring); never raises."""
    status = KITE_STATUS.get(kite_status.strip().upper(), S.UNKNOWN)
    if status is S.OPEN and 0 < filled_quantity < quantity:
        return S.PARTIALLY_FILLED
    return status


def kite_time_ns(value: object, what: str = "Kite time") -> int | None:
    """Epoch ns of Kite's "YYYY-MM-DD HH:MM:SS" (IST) or ISO time with offset; None for null."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return datetime_to_ns(value)
    try:
        return datetime_to_ns(datetime.fromisoformat(str(value).strip()))
    except ValueError:
        raise DataError(f"{what}: {value!r} is not a time like 2021-05-31 09:18:57") from None


# -- reading Kite's rows --------------------------------------------------------------------


def order_from_kite(row: Mapping[str, Any], master: InstrumentMaster) -> Order:
    """One row of the order book, an order's history, a postback or a ticker order update.

    `client_order_id` is our tag when the order carries one, else "kite:<order_id>" (an order
    placed outside scalpbot); prices the order type has none of are None when Kite says 0.
    """
    order_id = _required_text(row, "order_id", "Kite order row")
    what = f"Kite order {order_id}"
    raw_status = str(row.get("status") or "").strip()
    quantity = _int(row, "quantity", what)
    filled = _int(row, "filled_quantity", what, default=0)
    status = order_status(raw_status, quantity, filled)
    message = _text(row.get("status_message"))
    reason = message
    if status is S.UNKNOWN:
        reason = f"unrecognised Kite status {raw_status!r}" + (f": {message}" if message else "")
    kind = _enum(OrderType, row.get("order_type"), "order_type", what)
    price = _decimal(row, "price", what)
    trigger = _decimal(row, "trigger_price", what)
    if not price and kind not in (OrderType.LIMIT, OrderType.SL):
        price = None
    if not trigger and kind not in (OrderType.SL, OrderType.SL_M):
        trigger = None
    created = kite_time_ns(row.get("order_timestamp"), f"{what} order_timestamp") or 0
    times = [created]
    for field in ("exchange_update_timestamp", "exchange_timestamp"):
        times.append(kite_time_ns(row.get(field), f"{what} {field}") or 0)
    updated = max(times)
    try:
        return Order(
            client_order_id=_text(row.get("tag")) or f"kite:{order_id}",
            instrument=_instrument(row, master, what),
            side=_enum(Side, row.get("transaction_type"), "transaction_type", what),
            quantity=quantity,
            order_type=kind,
            product=_product(row, what),
            validity=_enum(Validity, row.get("validity") or "DAY", "validity", what),
            price=price,
            trigger_price=trigger,
            status=status,
            filled_quantity=filled,
            average_price=_decimal(row, "average_price", what) or Decimal(0),
            broker_order_id=order_id,
            created_ts=created,
            updated_ts=updated,
            reason=reason,
            history=[StatusChange(updated, status, f"Kite status {raw_status or '(none)'}")],
        )
    except ValueError as exc:
        raise DataError(f"{what}: {exc}") from exc


def fill_from_kite(
    row: Mapping[str, Any], master: InstrumentMaster, tags: Mapping[str, str] | None = None
) -> Fill:
    """One trade (execution). `tags` maps Kite order ids to our client ids where known."""
    trade_id = _required_text(row, "trade_id", "Kite trade row")
    what = f"Kite trade {trade_id}"
    order_id = _required_text(row, "order_id", what)
    quantity = _int(row, "quantity", what)
    if quantity <= 0:
        raise DataError(f"{what}: quantity must be positive, got {quantity}")
    price = _decimal(row, "average_price", what)
    if price is None:
        raise DataError(f"{what}: no average_price")
    ts = kite_time_ns(row.get("fill_timestamp"), f"{what} fill_timestamp")
    if ts is None:
        ts = kite_time_ns(row.get("exchange_timestamp"), f"{what} exchange_timestamp")
    return Fill(
        fill_id=f"kite:{trade_id}",
        client_order_id=(tags or {}).get(order_id) or f"kite:{order_id}",
        instrument=_instrument(row, master, what),
        side=_enum(Side, row.get("transaction_type"), "transaction_type", what),
        quantity=quantity,
        price=price,
        ts=ts or 0,
        product=_product(row, what),
        broker_order_id=order_id,
    )


def position_from_kite(row: Mapping[str, Any], master: InstrumentMaster) -> Position:
    """One row of Kite's positions ("net" or "day"), signed quantity (+long, -short).

    Realised P&L is Kite's `pnl` less the unrealised P&L our `Position` computes from the
    same row, so `net_pnl` (before charges) equals the P&L Kite shows. Kite's own `realised`
    field is not used: Kite books the P&L of closed quantity under `unrealised`/`m2m` (a
    flat position reads realised 0, unrealised 801), which would lose it here. Rows without
    `pnl` fall back to Kite's `realised`. The cost basis is `average_price` x |quantity|, in
    Kite's quantity units (lots on MCX and CDS, where Kite's `multiplier` is not applied).
    """
    what = f"Kite position {row.get('exchange')}:{row.get('tradingsymbol')}"
    return _position(row, master, _product(row, what), what)


def holding_from_kite(row: Mapping[str, Any], master: InstrumentMaster) -> Position:
    """One delivery holding (product CNC); quantity is Kite's net (settled + T+1)."""
    what = f"Kite holding {row.get('exchange')}:{row.get('tradingsymbol')}"
    return _position(row, master, Product.CNC, what)


def _position(
    row: Mapping[str, Any], master: InstrumentMaster, product: Product, what: str
) -> Position:
    quantity = _int(row, "quantity", what)
    average = _decimal(row, "average_price", what) or Decimal(0)
    position = Position(
        instrument=_instrument(row, master, what),
        product=product,
        quantity=quantity,
        cost_basis=average * abs(quantity),
        last_price=_decimal(row, "last_price", what),
    )
    pnl = _decimal(row, "pnl", what)
    if pnl is None:
        position.realised_pnl = _money(_decimal(row, "realised", what) or Decimal(0))
    else:
        position.realised_pnl = _money(pnl) - position.unrealised_pnl
    return position


def funds_from_kite(data: Mapping[str, Any], segment: str = "equity") -> Funds:
    """Funds of one segment from `GET /user/margins` (both segments) or `/user/margins/<seg>`.

    `available_cash` is Kite's `net` (what can be traded with now), `used_margin` its
    `utilised.debits`, and `total_balance` their sum (cash + collateral + pay-in + ad hoc).
    """
    name = segment.strip().lower()
    if name not in ("equity", "commodity"):
        raise ConfigError(f"margin segment must be 'equity' or 'commodity', not {segment!r}")
    block = data if "net" in data else data.get(name)
    if not isinstance(block, Mapping):
        raise DataError(f"Kite's margins have no {name} segment")
    what = f"Kite margins ({name})"
    net = _decimal(block, "net", what)
    if net is None:
        raise DataError(f"{what}: no net balance")
    utilised = block.get("utilised")
    used = _decimal(utilised, "debits", what) if isinstance(utilised, Mapping) else None
    available, used_margin = _money(net), _money(used or Decimal(0))
    return Funds(available, used_margin, available + used_margin, name)


def profile_from_kite(data: Mapping[str, Any]) -> Profile:
    """The user's profile (`GET /user/profile`, also the `data` of `/session/token`)."""
    return Profile(
        user_id=_required_text(data, "user_id", "Kite profile"),
        user_name=_text(data.get("user_name")),
        email=_text(data.get("email")),
        broker=_text(data.get("broker")).lower() or "zerodha",
        exchanges=tuple(str(x) for x in data.get("exchanges") or ()),
        products=tuple(str(x) for x in data.get("products") or ()),
    )


def quote_from_kite(key: str, row: Mapping[str, Any]) -> Quote:
    """A quote (`/quote`, `/quote/ohlc` or `/quote/ltp` row) for our instrument `key`.

    Depth levels Kite sends empty (quantity 0) are left out, so `bid`/`ask` are None on a
    side with no orders.
    """
    what = f"Kite quote {key}"
    last = _decimal(row, "last_price", what)
    if last is None:
        raise DataError(f"{what}: no last_price")
    ohlc = row.get("ohlc")
    ohlc = ohlc if isinstance(ohlc, Mapping) else {}
    depth: dict[str, list[tuple[Decimal, int, int]]] = {}
    book = row.get("depth")
    if isinstance(book, Mapping):
        for side in ("buy", "sell"):
            levels = [
                (
                    _decimal(level, "price", what) or Decimal(0),
                    quantity,
                    _int(level, "orders", what),
                )
                for level in book.get(side) or ()
                if (quantity := _int(level, "quantity", what, default=0)) > 0
            ]
            depth[side] = levels
    return Quote(
        instrument_key=key,
        last_price=last,
        ts=kite_time_ns(row.get("timestamp"), f"{what} timestamp") or 0,
        open=_decimal(ohlc, "open", what),
        high=_decimal(ohlc, "high", what),
        low=_decimal(ohlc, "low", what),
        close=_decimal(ohlc, "close", what),
        volume=_int(row, "volume", what, default=0),
        bid=depth["buy"][0][0] if depth.get("buy") else None,
        ask=depth["sell"][0][0] if depth.get("sell") else None,
        depth=depth,
    )


def bars_from_candles(key: str, candles: Sequence[Sequence[Any]]) -> list[Bar]:
    """Bars from Kite's candles [time, open, high, low, close, volume(, oi)]; oi is dropped
    (`Bar` has no field for it)."""
    bars: list[Bar] = []
    for index, candle in enumerate(candles):
        where = f"Kite candle {index} of {key}"
        if isinstance(candle, str | bytes) or len(candle) < 6:
            raise DataError(
                f"{where}: expected [time, open, high, low, close, volume], got {candle!r}"
            )
        ts = kite_time_ns(candle[0], where)
        if ts is None:
            raise DataError(f"{where}: no time")
        try:
            values = [float(x) for x in candle[1:6] if not isinstance(x, bool)]
        except (TypeError, ValueError):
            values = []
        if len(values) != 5 or not all(math.isfinite(v) for v in values):
            raise DataError(
                f"{where}: open/high/low/close/volume must be numbers, got {list(candle[1:6])!r}"
            )
        bars.append(Bar(key, ts, values[0], values[1], values[2], values[3], values[4]))
    return bars


# -- field readers --------------------------------------------------------------------------


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _required_text(row: Mapping[str, Any], field: str, what: str) -> str:
    text = _text(row.get(field))
    if not text:
        raise DataError(f"{what}: no {field}")
    return text


def _decimal(row: Mapping[str, Any], field: str, what: str) -> Decimal | None:
    value = row.get(field)
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        number = to_decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise DataError(f"{what}: {field} {value!r} is not a number") from None
    if not number.is_finite():
        raise DataError(f"{what}: {field} {value!r} is not a finite number")
    return number


def _int(row: Mapping[str, Any], field: str, what: str, default: int | None = None) -> int:
    value = row.get(field)
    if value is None and default is not None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise DataError(f"{what}: {field} {value!r} is not a whole number")


def _money(value: Decimal) -> Decimal:
    return value.quantize(MONEY_PLACES)


def _enum(kind: type[E], value: object, field: str, what: str) -> E:
    try:
        return parse_enum(kind, str(value or ""))
    except ValueError as exc:
        raise DataError(f"{what}: {field} {exc}") from None


def _product(row: Mapping[str, Any], what: str) -> Product:
    code = _text(row.get("product")).upper()
    return PRODUCT_ALIASES.get(code) or _enum(Product, code, "product", what)


def _instrument(row: Mapping[str, Any], master: InstrumentMaster, what: str) -> Instrument:
    exchange = _required_text(row, "exchange", what)
    symbol = _required_text(row, "tradingsymbol", what)
    try:
        return master.find(exchange, symbol)
    except InstrumentNotFound as exc:
        raise DataError(f"{what}: {exc}") from exc
