"""Shared helpers of the paper exchange tests (this module holds no tests itself).

`Recorder` is the tests' own observer of what the exchange reports; bars and orders are built
from short, readable tuples so each table row reads like the scenario it checks.
"""

from __future__ import annotations

from decimal import Decimal

from scalpbot.brokers.paper import PaperConfig, PaperExchange
from scalpbot.domain import (
    Bar,
    Exchange,
    Fill,
    Instrument,
    Order,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Side,
    Tick,
    Validity,
)

KEY = "NSE:TEST"
INSTRUMENT = Instrument(Exchange.NSE, "TEST", tick_size=Decimal("0.05"))
MINUTE = 60_000_000_000
T0 = 1_700_000_000_000_000_000  # the bar the orders are placed on (its open time)

OHLC = tuple[float, float, float, float]


class Recorder:
    """Keeps every update and fill in the order the exchange reported them."""

    def __init__(self) -> None:
        self.events: list[OrderUpdate | Fill] = []

    def on_order_update(self, update: OrderUpdate) -> None:
        self.events.append(update)

    def on_fill(self, fill: Fill) -> None:
        self.events.append(fill)

    @property
    def fills(self) -> list[Fill]:
        return [e for e in self.events if isinstance(e, Fill)]

    @property
    def updates(self) -> list[OrderUpdate]:
        return [e for e in self.events if isinstance(e, OrderUpdate)]

    def statuses(self, client_order_id: str) -> list[OrderStatus]:
        return [u.status for u in self.updates if u.client_order_id == client_order_id]


def exchange_with(
    recorder: Recorder | None = None, **config: object
) -> tuple[PaperExchange, Recorder]:
    recorder = recorder or Recorder()
    exchange = PaperExchange(PaperConfig(**config))  # type: ignore[arg-type]
    exchange.set_listener(recorder)
    return exchange, recorder


def make_order(
    cid: str = "C1",
    side: str = "BUY",
    order_type: str = "MARKET",
    price: str | None = None,
    trigger: str | None = None,
    *,
    quantity: int = 10,
    validity: Validity = Validity.DAY,
    instrument: Instrument = INSTRUMENT,
    ts: int = T0,
) -> Order:
    return Order(
        client_order_id=cid,
        instrument=instrument,
        side=Side(side),
        quantity=quantity,
        order_type=OrderType(order_type),
        validity=validity,
        price=None if price is None else Decimal(price),
        trigger_price=None if trigger is None else Decimal(trigger),
        created_ts=ts,
    )


def bar_at(index: int, ohlc: OHLC, volume: float = 1_000.0, key: str = KEY) -> Bar:
    """Bar number `index` after the one the orders were placed on."""
    o, h, lo, c = ohlc
    return Bar(key, T0 + (index + 1) * MINUTE, o, h, lo, c, volume)


def bar_index(ts: int) -> int:
    return (ts - T0) // MINUTE - 1


def tick_at(
    offset_ns: int,
    last: float,
    bid: float | None = None,
    ask: float | None = None,
    key: str = KEY,
) -> Tick:
    return Tick(key, T0 + offset_ns, last, bid=bid, ask=ask)
