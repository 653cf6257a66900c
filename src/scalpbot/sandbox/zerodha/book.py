"""The sandbox's order book and account: orders in Kite's row shape, matching, trades,
positions and margins.

Matching is deliberately simple but honest: a MARKET order fills at the touch (a tick through
the last price against it), at most `liquidity` units per price step, so a large order fills in
parts over several steps; LIMIT orders rest until the price reaches them; SL and SL-M orders
wait for their trigger, then behave as LIMIT and MARKET; IOC cancels what did not fill at once.
Every change is appended to the order's history and handed to `on_change` (the ticker's order
updates and the postback).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from scalpbot.domain import IST
from scalpbot.sandbox.zerodha.market import Listing, Market

VARIETIES = ("regular", "amo", "co", "iceberg", "auction")
ORDER_TYPES = ("MARKET", "LIMIT", "SL", "SL-M")
PRODUCTS = ("MIS", "CNC", "NRML", "CO")
VALIDITIES = ("DAY", "IOC", "TTL")
CAPITAL = Decimal(1_000_000)


class KiteInputError(ValueError):
    """A request Kite would refuse with an InputException (HTTP 400); the message says why."""


def _stamp(moment: datetime) -> str:
    return moment.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")


def _decimal(form: dict[str, str], name: str) -> Decimal | None:
    text = form.get(name)
    if text in (None, ""):
        return None
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise KiteInputError(f"Invalid `{name}`.") from None
    if not value.is_finite() or value < 0:
        raise KiteInputError(f"Invalid `{name}`.")
    return value


@dataclass(slots=True)
class SandboxOrder:
    row: dict[str, Any]
    listing: Listing
    triggered: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return int(self.row["pending_quantity"])


@dataclass(slots=True)
class PositionBook:
    quantity: int = 0
    buy_qty: int = 0
    sell_qty: int = 0
    buy_value: Decimal = Decimal(0)
    sell_value: Decimal = Decimal(0)


class Book:
    """Orders, trades and positions of the sandbox's one account."""

    def __init__(
        self,
        market: Market,
        *,
        user_id: str = "SB0001",
        liquidity: int = 1000,
        on_change: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.market = market
        self.user_id = user_id
        self.liquidity = liquidity
        self.on_change = on_change
        self.orders: dict[str, SandboxOrder] = {}
        self.trades: list[dict[str, Any]] = []
        self.positions: dict[tuple[str, str], PositionBook] = {}
        self._ids = itertools.count(1)
        self._trade_ids = itertools.count(1)

    # -- requests ------------------------------------------------------------------------------
    def place(self, variety: str, form: dict[str, str]) -> SandboxOrder:
        if variety not in VARIETIES:
            raise KiteInputError(f"Invalid `variety`: {variety}.")
        key = f"{form.get('exchange', '')}:{form.get('tradingsymbol', '')}"
        listing = self.market.listings.get(key)
        if listing is None:
            raise KiteInputError(f"Invalid `tradingsymbol` or `exchange`: {key}.")
        side = form.get("transaction_type", "")
        if side not in ("BUY", "SELL"):
            raise KiteInputError("Invalid `transaction_type`.")
        order_type = form.get("order_type", "")
        if order_type not in ORDER_TYPES:
            raise KiteInputError("Invalid `order_type`.")
        product = form.get("product", "")
        if product not in PRODUCTS:
            raise KiteInputError("Invalid `product`.")
        validity = form.get("validity") or "DAY"
        if validity not in VALIDITIES:
            raise KiteInputError("Invalid `validity`.")
        try:
            quantity = int(form.get("quantity", ""))
        except ValueError:
            raise KiteInputError("Invalid `quantity`.") from None
        if quantity <= 0 or quantity % listing.instrument.lot_size:
            raise KiteInputError(
                f"Quantity should be a multiple of lot size {listing.instrument.lot_size}."
            )
        price = _decimal(form, "price") or Decimal(0)
        trigger = _decimal(form, "trigger_price") or Decimal(0)
        if order_type in ("LIMIT", "SL") and price <= 0:
            raise KiteInputError("Price should be greater than 0 for a LIMIT or SL order.")
        if order_type in ("SL", "SL-M") and trigger <= 0:
            raise KiteInputError("Trigger price should be greater than 0 for a stoploss order.")
        for value, name in ((price, "price"), (trigger, "trigger_price")):
            if value and value % listing.tick_size:
                raise KiteInputError(
                    f"`{name}` {value} is not a multiple of tick size {listing.tick_size}."
                )
        tag = form.get("tag") or None
        if tag is not None and (len(tag) > 20 or not tag.isalnum()):
            raise KiteInputError("Invalid `tag`: up to 20 alphanumeric characters.")
        now = self.market.exchange_datetime()
        order_id = f"{int(now.timestamp())}{next(self._ids):06d}"
        row: dict[str, Any] = {
            "account_id": self.user_id,
            "placed_by": self.user_id,
            "order_id": order_id,
            "exchange_order_id": None,
            "parent_order_id": None,
            "status": "OPEN",
            "status_message": None,
            "status_message_raw": None,
            "order_timestamp": _stamp(now),
            "exchange_update_timestamp": None,
            "exchange_timestamp": None,
            "variety": variety,
            "modified": False,
            "exchange": listing.instrument.exchange.value,
            "tradingsymbol": listing.instrument.symbol,
            "instrument_token": listing.token,
            "order_type": order_type,
            "transaction_type": side,
            "validity": validity,
            "validity_ttl": int(form["validity_ttl"]) if form.get("validity_ttl") else 0,
            "product": product,
            "quantity": quantity,
            "disclosed_quantity": int(form.get("disclosed_quantity") or 0),
            "price": float(price),
            "trigger_price": float(trigger),
            "average_price": 0.0,
            "filled_quantity": 0,
            "pending_quantity": quantity,
            "cancelled_quantity": 0,
            "market_protection": float(form.get("market_protection") or 0),
            "meta": {},
            "tag": tag,
            "tags": [tag] if tag else [],
            "guid": f"sb{order_id}",
            "algo_id": form.get("algo_id") or None,
        }
        order = SandboxOrder(row, listing)
        if order_type in ("SL", "SL-M"):
            row["status"] = "TRIGGER PENDING"
        self.orders[order_id] = order
        self._changed(order, exchange=True)
        self._match(order)
        if validity == "IOC" and order.pending and row["status"] == "OPEN":
            self._cancel(order, "IOC order cancelled: no more quantity at its price")
        return order

    def modify(self, order_id: str, form: dict[str, str]) -> SandboxOrder:
        order = self._working(order_id)
        row = order.row
        if form.get("quantity"):
            try:
                quantity = int(form["quantity"])
            except ValueError:
                raise KiteInputError("Invalid `quantity`.") from None
            if quantity < row["filled_quantity"] or quantity <= 0:
                raise KiteInputError("Quantity cannot be less than the filled quantity.")
            row["quantity"] = quantity
            row["pending_quantity"] = quantity - row["filled_quantity"]
        for name in ("price", "trigger_price"):
            value = _decimal(form, name)
            if value is not None:
                if value % order.listing.tick_size:
                    raise KiteInputError(f"`{name}` is not a multiple of the tick size.")
                row[name] = float(value)
        if form.get("order_type") in ORDER_TYPES:
            row["order_type"] = form["order_type"]
        row["modified"] = True
        self._changed(order, exchange=True)
        self._match(order)
        return order

    def cancel(self, order_id: str) -> SandboxOrder:
        order = self._working(order_id)
        self._cancel(order, None)
        return order

    def _working(self, order_id: str) -> SandboxOrder:
        order = self.orders.get(order_id)
        if order is None:
            raise KiteInputError(f"Couldn't find that order ({order_id}).")
        if order.row["status"] in ("COMPLETE", "CANCELLED", "REJECTED"):
            raise KiteInputError(
                f"Order cannot be modified or cancelled as it is {order.row['status']}."
            )
        return order

    def _cancel(self, order: SandboxOrder, message: str | None) -> None:
        row = order.row
        row["cancelled_quantity"] = row["pending_quantity"]
        row["pending_quantity"] = 0
        row["status"] = "CANCELLED"
        row["status_message"] = message
        self._changed(order, exchange=True)

    # -- matching ------------------------------------------------------------------------------
    def on_step(self) -> None:
        """After a price step: trigger and fill whatever the new prices reach."""
        for order in list(self.orders.values()):
            if order.row["status"] in ("OPEN", "TRIGGER PENDING"):
                self._match(order)

    def _match(self, order: SandboxOrder) -> None:
        row = order.row
        listing = order.listing
        buy = row["transaction_type"] == "BUY"
        last = listing.ticks
        if row["status"] == "TRIGGER PENDING":
            trigger = listing.to_ticks(Decimal(str(row["trigger_price"])))
            if (buy and last >= trigger) or (not buy and last <= trigger):
                order.triggered = True
                row["status"] = "OPEN"
                self._changed(order, exchange=True)
            else:
                return
        if row["status"] != "OPEN" or order.pending <= 0:
            return
        touch = last + 1 if buy else last - 1  # pay the spread of one tick
        if row["order_type"] in ("MARKET", "SL-M"):
            fill_ticks = max(1, touch)
        else:
            limit = listing.to_ticks(Decimal(str(row["price"])))
            if (buy and touch > limit) or (not buy and touch < limit):
                return
            fill_ticks = max(1, touch)
        quantity = min(order.pending, max(self.liquidity, listing.instrument.lot_size))
        self._fill(order, quantity, fill_ticks)

    def _fill(self, order: SandboxOrder, quantity: int, ticks: int) -> None:
        row = order.row
        listing = order.listing
        price = listing.price(ticks)
        now = self.market.exchange_datetime()
        filled = row["filled_quantity"]
        average = Decimal(str(row["average_price"]))
        total = average * filled + price * quantity
        row["filled_quantity"] = filled + quantity
        row["pending_quantity"] -= quantity
        row["average_price"] = float(total / row["filled_quantity"])
        if row["pending_quantity"] == 0:
            row["status"] = "COMPLETE"
        trade_id = f"{int(now.timestamp()) % 100_000_000:08d}{next(self._trade_ids):04d}"
        self.trades.append(
            {
                "trade_id": trade_id,
                "order_id": row["order_id"],
                "exchange": row["exchange"],
                "tradingsymbol": row["tradingsymbol"],
                "instrument_token": row["instrument_token"],
                "product": row["product"],
                "average_price": float(price),
                "quantity": quantity,
                "exchange_order_id": row["exchange_order_id"],
                "transaction_type": row["transaction_type"],
                "fill_timestamp": _stamp(now),
                "order_timestamp": row["order_timestamp"][11:],
                "exchange_timestamp": _stamp(now),
            }
        )
        book = self.positions.setdefault((listing.key, row["product"]), PositionBook())
        if row["transaction_type"] == "BUY":
            book.quantity += quantity
            book.buy_qty += quantity
            book.buy_value += price * quantity
        else:
            book.quantity -= quantity
            book.sell_qty += quantity
            book.sell_value += price * quantity
        self.market.trade(listing, quantity)
        self._changed(order, exchange=True)

    def _changed(self, order: SandboxOrder, *, exchange: bool) -> None:
        row = order.row
        now = self.market.exchange_datetime()
        if exchange:
            row["exchange_order_id"] = row["exchange_order_id"] or f"1100{row['order_id'][-10:]}"
            row["exchange_update_timestamp"] = _stamp(now)
            row["exchange_timestamp"] = _stamp(now)
        order.history.append(dict(row))
        if self.on_change is not None:
            self.on_change(dict(row))

    # -- views -----------------------------------------------------------------------------------
    def position_rows(self) -> list[dict[str, Any]]:
        rows = []
        for (key, product), book in self.positions.items():
            listing = self.market.listings[key]
            last = listing.price()
            value = book.sell_value - book.buy_value
            pnl = value + book.quantity * last
            if book.quantity == 0:
                realised, unrealised = pnl, Decimal(0)
            else:
                held_cost = (
                    book.buy_value / book.buy_qty
                    if book.quantity > 0 and book.buy_qty
                    else book.sell_value / book.sell_qty
                    if book.sell_qty
                    else last
                )
                unrealised = (last - held_cost) * book.quantity
                realised = pnl - unrealised
            average = (
                book.buy_value / book.buy_qty
                if book.quantity > 0 and book.buy_qty
                else book.sell_value / book.sell_qty
                if book.quantity < 0 and book.sell_qty
                else Decimal(0)
            )
            rows.append(
                {
                    "tradingsymbol": listing.instrument.symbol,
                    "exchange": listing.instrument.exchange.value,
                    "instrument_token": listing.token,
                    "product": product,
                    "quantity": book.quantity,
                    "overnight_quantity": 0,
                    "multiplier": 1,
                    "average_price": float(average),
                    "close_price": float(listing.price(listing.prev_close)),
                    "last_price": float(last),
                    "value": float(value),
                    "pnl": float(pnl),
                    "m2m": float(pnl),
                    "unrealised": float(unrealised),
                    "realised": float(realised),
                    "buy_quantity": book.buy_qty,
                    "buy_price": float(book.buy_value / book.buy_qty) if book.buy_qty else 0.0,
                    "buy_value": float(book.buy_value),
                    "sell_quantity": book.sell_qty,
                    "sell_price": float(book.sell_value / book.sell_qty) if book.sell_qty else 0.0,
                    "sell_value": float(book.sell_value),
                    "day_buy_quantity": book.buy_qty,
                    "day_sell_quantity": book.sell_qty,
                }
            )
        return rows

    def margins(self) -> dict[str, Any]:
        used = sum(
            (
                abs(b.quantity) * self.market.listings[k].price()
                for (k, _), b in self.positions.items()
            ),
            Decimal(0),
        )
        net = CAPITAL - used
        segment = {
            "enabled": True,
            "net": float(net),
            "available": {
                "adhoc_margin": 0, "cash": float(CAPITAL), "opening_balance": float(CAPITAL),
                "live_balance": float(net), "collateral": 0, "intraday_payin": 0,
            },
            "utilised": {
                "debits": float(used), "exposure": 0, "m2m_realised": 0, "m2m_unrealised": 0,
                "option_premium": 0, "payout": 0, "span": float(used), "holding_sales": 0,
                "turnover": 0, "liquid_collateral": 0, "stock_collateral": 0, "delivery": 0,
            },
        }  # fmt: skip
        return {"equity": segment, "commodity": {**segment, "net": 0.0}}
