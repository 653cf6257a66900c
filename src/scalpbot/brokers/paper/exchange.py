"""The simulated exchange: the `OrderGateway` of backtests and paper trading.

It keeps its own book of resting orders and reports what happens to them through the
`ExecutionListener` (the engine's `OrderManager`), exactly as a live adapter would, so the
engine cannot tell the difference. It never changes an `Order` object and never reads the wall
clock: every time it reports is an order's own timestamp or a bar's or tick's.

Lifecycle rules (the fill rules themselves are in `scalpbot.brokers.paper.matching`):

- `submit` answers at once: OPEN (MARKET, LIMIT) or TRIGGER_PENDING (SL, SL-M), or REJECTED
  with the reason (quantity not a whole number of lots, price or trigger missing, not positive
  or off the tick grid). Every answer carries a broker order id. Time of submission is
  `order.created_ts`; latency counts from it (see `PaperConfig`). A stop whose trigger the
  market is already past is accepted and triggers on its first eligible bar or tick.
- `modify` changes quantity (the order's new total, more than what has filled), price and/or
  trigger of a resting order and answers with its status and the new fields; the change holds
  from the next bar or tick (a modify does not restart the latency). `cancel` answers
  CANCELLED. For an order that is not resting (filled, cancelled, rejected, unknown) both
  answer with the status the order had before the request and a reason: a refusal.
- A fill is reported by `on_fill` alone: the `OrderManager` derives PARTIALLY_FILLED / FILLED
  from fills, so the exchange never sends those statuses. When a fill and a status change
  happen together (an IOC order partly filled, the rest cancelled), the fill goes first.
- IOC orders not completely filled on their first eligible bar or tick have the rest
  CANCELLED. DAY and TTL orders rest until filled or cancelled: ending the session is the
  engine's business.
- Fill prices are Decimals on the instrument's tick: a market price between two ticks is
  rounded against the trader (a buy up, a sell down), and slippage adds whole ticks.
- Ids are counters behind `id_prefix` (orders "P000001", fills "PF000001"), so a replay
  reproduces them.

Re-entrancy: the listener is called synchronously after each fill and may cancel, modify or
submit orders from inside the call (the engine cancels an OCO sibling there). An order
cancelled or modified during a bar's callbacks does not fill later in the same bar, and an
order submitted during them cannot match before the next bar or tick.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from scalpbot.brokers.paper.config import PaperConfig
from scalpbot.brokers.paper.matching import TRIGGER, Match, fill_price, match_bar, match_tick
from scalpbot.brokers.paper.resting import PRICED_TYPES, STOP_TYPES, RestingOrder, order_problem
from scalpbot.brokers.paper.state import BookState, dump_state, load_state
from scalpbot.domain.broker import ExecutionListener, OrderUpdate
from scalpbot.domain.errors import ConfigError, OrderStateError
from scalpbot.domain.fill import Fill
from scalpbot.domain.market_data import Bar, Tick
from scalpbot.domain.order import Order, OrderStatus

DEFAULT_CONFIG = PaperConfig()
#: How many finished orders the book remembers (for refusals' reasons and restarts).
FINISHED_KEPT = 2_000
_PENDING = (OrderStatus.PENDING_MODIFY, OrderStatus.PENDING_CANCEL)
_GONE = {
    OrderStatus.FILLED: "it is already filled",
    OrderStatus.CANCELLED: "it is already cancelled",
    OrderStatus.REJECTED: "it was rejected",
}


class PaperExchange:
    """A simulated exchange that matches resting orders against bars or ticks.

    Usage::

        exchange = PaperExchange(PaperConfig(slippage_ticks=1))
        exchange.set_listener(order_manager)   # the OrderManager does this itself
        exchange.submit(order)                 # -> on_order_update(OPEN ...)
        exchange.on_bar(bar)                   # -> on_fill(...) for what the bar fills
    """

    def __init__(self, config: PaperConfig = DEFAULT_CONFIG, *, id_prefix: str = "P") -> None:
        if not isinstance(id_prefix, str) or not id_prefix.isalnum():
            raise ConfigError(f"paper exchange id_prefix must be letters/digits, got {id_prefix!r}")
        self.config = config
        self.id_prefix = id_prefix
        self._listener: ExecutionListener | None = None
        self._books: dict[str, list[RestingOrder]] = {}  # instrument key -> non-empty list
        self._resting: dict[str, RestingOrder] = {}  # client order id -> order, in seq order
        self._finished: dict[str, OrderStatus] = {}
        self._orders_sent = 0
        self._fills_sent = 0
        self._slippage = config.slippage_ticks
        self._volume_fraction = config.partial_fill_volume_fraction

    # -- OrderGateway ------------------------------------------------------------------------
    def set_listener(self, listener: ExecutionListener) -> None:
        self._listener = listener

    def submit(self, order: Order) -> None:
        """Accept the order into the book or reject it, and say so at once."""
        listener = self._require_listener()
        cid = order.client_order_id
        if cid in self._resting or cid in self._finished:
            raise OrderStateError(
                f"order {cid} was already submitted to the paper exchange; "
                "a new order needs a new client order id"
            )
        self._orders_sent += 1
        seq = self._orders_sent
        broker_id = f"{self.id_prefix}{seq:06d}"
        order_type = order.order_type
        price = order.price if order_type in PRICED_TYPES else None
        trigger = order.trigger_price if order_type in STOP_TYPES else None
        ts = order.created_ts
        problem = order_problem(order.instrument, order_type, order.quantity, price, trigger)
        if problem:
            self._finish(cid, OrderStatus.REJECTED)
            reason = f"paper exchange rejected {cid}: {problem}"
            listener.on_order_update(OrderUpdate(cid, OrderStatus.REJECTED, ts, broker_id, reason))
            return
        rec = RestingOrder(
            client_order_id=cid,
            broker_order_id=broker_id,
            instrument=order.instrument,
            side=order.side,
            order_type=order_type,
            product=order.product,
            validity=order.validity,
            quantity=order.quantity,
            filled=0,
            price=price,
            trigger_price=trigger,
            submit_ts=ts,
            seq=seq,
        )
        self._add(rec)
        listener.on_order_update(OrderUpdate(cid, rec.status, ts, broker_id))

    def modify(
        self,
        order: Order,
        *,
        quantity: int | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
    ) -> None:
        """Change a resting order, or refuse with the reason."""
        listener = self._require_listener()
        cid = order.client_order_id
        ts = max(order.updated_ts, order.created_ts)
        rec = self._resting.get(cid)
        if rec is None:
            self._refuse(order, ts, f"cannot modify {cid}: {self._why_not_resting(cid)}")
            return
        problem = ""
        if price is not None and rec.order_type not in PRICED_TYPES:
            problem = f"a {rec.order_type} order has no price to change"
        elif trigger_price is not None and rec.order_type not in STOP_TYPES:
            problem = f"a {rec.order_type} order has no trigger price to change"
        elif quantity is not None and quantity <= rec.filled:
            problem = f"new quantity {quantity} must exceed the {rec.filled} already filled"
        new_quantity = rec.quantity if quantity is None else quantity
        new_price = rec.price if price is None else price
        new_trigger = rec.trigger_price if trigger_price is None else trigger_price
        problem = problem or order_problem(
            rec.instrument, rec.order_type, new_quantity, new_price, new_trigger
        )
        if problem:
            self._refuse(order, ts, f"paper exchange refused to modify {cid}: {problem}")
            return
        rec.quantity = new_quantity
        rec.price = new_price
        rec.trigger_price = new_trigger
        rec.version += 1
        rec.refresh()
        listener.on_order_update(
            OrderUpdate(
                cid,
                rec.status,
                ts,
                rec.broker_order_id,
                price=rec.price,
                trigger_price=rec.trigger_price,
                quantity=rec.quantity,
            )
        )

    def cancel(self, order: Order) -> None:
        """Take a resting order off the book, or refuse with the reason."""
        listener = self._require_listener()
        cid = order.client_order_id
        ts = max(order.updated_ts, order.created_ts)
        rec = self._resting.get(cid)
        if rec is None:
            self._refuse(order, ts, f"cannot cancel {cid}: {self._why_not_resting(cid)}")
            return
        self._remove(rec, OrderStatus.CANCELLED)
        listener.on_order_update(
            OrderUpdate(cid, OrderStatus.CANCELLED, ts, rec.broker_order_id, "cancelled")
        )

    # -- market data -------------------------------------------------------------------------
    def on_bar(self, bar: Bar) -> None:
        """Match the bar's instrument's resting orders against it (call before the strategy
        sees the bar)."""
        books = self._books
        if not books:
            return
        book = books.get(bar.instrument_key)
        if book is None:
            return
        matches, ioc = match_bar(book, bar)
        if matches:
            cap = None
            fraction = self._volume_fraction
            if fraction is not None and bar.volume > 0:
                cap = int(bar.volume * fraction)
            self._execute(matches, bar.ts, cap)
        if ioc is not None:
            self._expire(ioc, bar.ts, "bar")

    def on_tick(self, tick: Tick) -> None:
        """Match the tick's instrument's resting orders against it."""
        books = self._books
        if not books:
            return
        book = books.get(tick.instrument_key)
        if book is None:
            return
        matches, ioc = match_tick(book, tick)
        if matches:
            self._execute(matches, tick.ts, None)
        if ioc is not None:
            self._expire(ioc, tick.ts, "tick")

    # -- views and state ---------------------------------------------------------------------
    def open_orders(self) -> list[RestingOrder]:
        """Copies of the resting orders, in submission order (for reconciliation and tests)."""
        return [dataclasses.replace(rec) for rec in self._resting.values()]

    def to_state(self) -> dict[str, Any]:
        """Everything needed to go on after a restart, as JSON-able data."""
        return dump_state(
            BookState(
                self.id_prefix,
                self._orders_sent,
                self._fills_sent,
                list(self._resting.values()),
                dict(self._finished),
            )
        )

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], config: PaperConfig = DEFAULT_CONFIG
    ) -> PaperExchange:
        """An exchange that goes on from `state` (made by `to_state`); latency, slippage and
        the volume cap come from `config`. Raises `DataError` naming what is wrong with a
        damaged state, before anything is loaded."""
        book = load_state(state)
        exchange = cls(config, id_prefix=book.id_prefix)
        exchange._orders_sent = book.orders_sent
        exchange._fills_sent = book.fills_sent
        for cid, status in book.finished.items():
            exchange._finish(cid, status)
        for rec in book.resting:
            exchange._add(rec)
        return exchange

    # -- internals ---------------------------------------------------------------------------
    def _require_listener(self) -> ExecutionListener:
        listener = self._listener
        if listener is None:
            raise ConfigError(
                "the paper exchange has no listener: call set_listener() (the engine's "
                "OrderManager does) before sending orders or market data"
            )
        return listener

    def _add(self, rec: RestingOrder) -> None:
        rec.schedule(self.config.latency_ns)
        rec.refresh()
        self._resting[rec.client_order_id] = rec
        key = rec.instrument.key
        book = self._books.get(key)
        if book is None:
            self._books[key] = [rec]
        else:
            book.append(rec)

    def _remove(self, rec: RestingOrder, status: OrderStatus) -> None:
        rec.active = False
        del self._resting[rec.client_order_id]
        key = rec.instrument.key
        book = self._books[key]
        book.remove(rec)
        if not book:
            del self._books[key]
        self._finish(rec.client_order_id, status)

    def _finish(self, cid: str, status: OrderStatus) -> None:
        """Remember how an order ended — the latest `FINISHED_KEPT` only: a day of hundreds of
        instruments finishes tens of thousands of orders, and this book (and every checkpoint
        of it) must not grow with them. A restart reconciles against what is kept; orders
        finished earlier are settled in the store already."""
        finished = self._finished
        finished[cid] = status
        if len(finished) > FINISHED_KEPT:
            del finished[next(iter(finished))]

    def _why_not_resting(self, cid: str) -> str:
        status = self._finished.get(cid)
        if status is None:
            return "the paper exchange does not know this order"
        return _GONE.get(status, f"it is {status}")

    def _refuse(self, order: Order, ts: int, reason: str) -> None:
        """Answer a refused request with the status the order had before it."""
        status = order.status
        if status in _PENDING and order.resting_status is not None:
            status = order.resting_status
        self._require_listener().on_order_update(
            OrderUpdate(order.client_order_id, status, ts, order.broker_order_id, reason)
        )

    def _execute(self, matches: Sequence[Match], ts: int, cap: int | None) -> None:
        """Apply matches in order; each fill is reported before the next match is looked at,
        and a match whose order was cancelled or modified meanwhile is dropped."""
        listener = self._require_listener()
        for match in matches:
            rec = match.order
            if not rec.active or rec.version != match.version:
                continue
            if match.action == TRIGGER:
                self._trigger(rec, ts)
                continue
            quantity = rec.remaining
            if cap is not None:
                lot = rec.instrument.lot_size
                quantity = min(quantity, cap // lot * lot)
                if quantity <= 0:
                    if rec.pending_stop:
                        self._trigger(rec, ts)
                    continue
                cap -= quantity
            price = self._fill_price(rec, match)
            if rec.pending_stop:
                rec.triggered = True
                rec.refresh()
            rec.filled += quantity
            if rec.filled >= rec.quantity:
                self._remove(rec, OrderStatus.FILLED)
            self._fills_sent += 1
            listener.on_fill(
                Fill(
                    fill_id=f"{self.id_prefix}F{self._fills_sent:06d}",
                    client_order_id=rec.client_order_id,
                    instrument=rec.instrument,
                    side=rec.side,
                    quantity=quantity,
                    price=price,
                    ts=ts,
                    product=rec.product,
                    broker_order_id=rec.broker_order_id,
                )
            )

    def _fill_price(self, rec: RestingOrder, match: Match) -> Decimal:
        slippage = self._slippage if rec.slipped else 0
        return fill_price(match.base, match.exact, rec.instrument.tick_size, rec.is_buy, slippage)

    def _trigger(self, rec: RestingOrder, ts: int) -> None:
        rec.triggered = True
        rec.refresh()
        if rec.price is not None:
            reason = f"stop triggered; resting as a limit order at {rec.price}"
        else:
            reason = "stop triggered; no volume left on this bar, fills at market next"
        self._require_listener().on_order_update(
            OrderUpdate(rec.client_order_id, rec.status, ts, rec.broker_order_id, reason)
        )

    def _expire(self, ioc: list[RestingOrder], ts: int, unit: str) -> None:
        listener = self._require_listener()
        for rec in ioc:
            if rec.active:
                self._remove(rec, OrderStatus.CANCELLED)
                reason = f"IOC: {rec.remaining} not filled on the first eligible {unit}, cancelled"
                listener.on_order_update(
                    OrderUpdate(
                        rec.client_order_id, OrderStatus.CANCELLED, ts, rec.broker_order_id, reason
                    )
                )
