"""The paper exchange's own record of an order in its book, and the checks an order must pass.

The engine's `Order` belongs to its `OrderManager`; the exchange keeps a copy of the fields it
matches on, as a real exchange keeps its own book. Float copies of the price and trigger are
kept beside the exact `Decimal`s so the per-bar test "could this order fill?" is one float
comparison against the bar's float high or low.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scalpbot.domain.enums import OrderType, Product, Side, Validity
from scalpbot.domain.instrument import Instrument
from scalpbot.domain.order import OrderStatus
from scalpbot.market.ticks import is_on_tick

_INF = float("inf")
STOP_TYPES = (OrderType.SL, OrderType.SL_M)
PRICED_TYPES = (OrderType.LIMIT, OrderType.SL)


@dataclass(slots=True)
class RestingOrder:
    """One order resting at the paper exchange.

    `quantity` is the order's total and `filled` what has executed of it. The fields below
    `triggered` are derived (see `refresh`) or bookkeeping of the exchange; `version` grows with
    every modification so a match computed before a modify is not applied after it.
    """

    client_order_id: str
    broker_order_id: str
    instrument: Instrument
    side: Side
    order_type: OrderType
    product: Product
    validity: Validity
    quantity: int
    filled: int
    price: Decimal | None
    trigger_price: Decimal | None
    submit_ts: int
    seq: int
    triggered: bool = False
    bar_ready: int = 0
    tick_ready: int = 0
    is_buy: bool = True
    pending_stop: bool = False
    slipped: bool = False
    watch_low: bool = True
    level_f: float = _INF
    price_f: float = _INF
    trigger_f: float = _INF
    active: bool = True
    version: int = 0

    @property
    def remaining(self) -> int:
        return self.quantity - self.filled

    @property
    def status(self) -> OrderStatus:
        """The status the exchange would report for this order now."""
        if self.filled:
            return OrderStatus.PARTIALLY_FILLED
        if self.pending_stop:
            return OrderStatus.TRIGGER_PENDING
        return OrderStatus.OPEN

    def schedule(self, latency_ns: int) -> None:
        """Set when the order may first match: bar mode needs a later bar than the one it was
        placed on (bars are stamped with their open time), tick mode any tick from then on."""
        self.bar_ready = self.submit_ts + max(latency_ns, 1)
        self.tick_ready = self.submit_ts + latency_ns

    def refresh(self) -> None:
        """Recompute the derived matching fields after a submit, modify or trigger.

        `level_f` is the price the market must reach and `watch_low` says which side of the bar
        reaches it: a buy limit or a sell stop waits for the low, a sell limit or a buy stop for
        the high. A market order (or a triggered SL-M) has level +inf on the low side, which
        every bar reaches.
        """
        order_type = self.order_type
        self.is_buy = self.side is Side.BUY
        self.slipped = order_type in (OrderType.MARKET, OrderType.SL_M)
        self.price_f = float(self.price) if self.price is not None else _INF
        self.trigger_f = float(self.trigger_price) if self.trigger_price is not None else _INF
        self.pending_stop = order_type in STOP_TYPES and not self.triggered
        if self.pending_stop:
            self.level_f = self.trigger_f
            self.watch_low = not self.is_buy
        elif order_type in PRICED_TYPES:
            self.level_f = self.price_f
            self.watch_low = self.is_buy
        else:
            self.level_f = _INF
            self.watch_low = True


def order_problem(
    instrument: Instrument,
    order_type: OrderType,
    quantity: int,
    price: Decimal | None,
    trigger_price: Decimal | None,
) -> str:
    """Why an order with these fields cannot be accepted, or "" when it can.

    The same checks guard submit and modify, so a modification cannot sneak in what a new order
    would be refused for.
    """
    key = instrument.key
    if quantity <= 0:
        return f"quantity must be positive, got {quantity}"
    if quantity % instrument.lot_size:
        return (
            f"quantity {quantity} is not a multiple of the lot size {instrument.lot_size} of {key}"
        )
    tick = instrument.tick_size
    for name, value, needed in (
        ("price", price, order_type in PRICED_TYPES),
        ("trigger price", trigger_price, order_type in STOP_TYPES),
    ):
        if not needed:
            continue
        if value is None:
            return f"a {order_type} order needs a {name}"
        if not isinstance(value, Decimal):
            return f"{name} must be a Decimal, got {value!r}"
        if not value.is_finite() or value <= 0:
            return f"{name} must be a positive number, got {value}"
        if not is_on_tick(value, tick):
            return f"{name} {value} is not a multiple of the tick size {tick} of {key}"
    return ""
