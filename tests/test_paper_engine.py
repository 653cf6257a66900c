"""The paper exchange behind the engine's real OrderManager and ExitManager.

These check that what the exchange reports fits the order state machine as the engine applies
it: acknowledgements, fills, triggers, modifies, refusals, cancels and OCO exits.
"""

from __future__ import annotations

from decimal import Decimal

from paper_support import INSTRUMENT, KEY, OHLC, T0, bar_at
from scalpbot.brokers.paper import PaperConfig, PaperExchange
from scalpbot.domain import Order, OrderStatus, OrderType, Side, Validity
from scalpbot.engine.bus import EventBus
from scalpbot.engine.clock import SimulatedClock
from scalpbot.engine.events import ErrorEvent
from scalpbot.engine.exits import ExitManager
from scalpbot.engine.order_manager import OrderManager
from scalpbot.engine.portfolio import Portfolio
from scalpbot.market.charges import charges_model
from scalpbot.strategies.exits import points

S = OrderStatus


class Desk:
    """An exchange, an order manager and an exit manager on one simulated clock."""

    def __init__(self, config: PaperConfig | None = None) -> None:
        self.clock = SimulatedClock(T0)
        self.exchange = PaperExchange(config or PaperConfig())
        self.bus = EventBus()
        self.errors: list[str] = []
        self.bus.subscribe(ErrorEvent, lambda e: self.errors.append(e.message))
        self.portfolio = Portfolio(Decimal(100_000), charges_model("none"))
        self.orders = OrderManager(self.exchange, self.portfolio, self.bus, self.clock)
        self.exits = ExitManager(self.orders, self.bus, lambda key: None)

    def order(
        self,
        side: Side,
        order_type: OrderType = OrderType.MARKET,
        *,
        quantity: int = 10,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
        validity: Validity = Validity.DAY,
    ) -> Order:
        return Order(
            client_order_id=self.orders.next_client_id(),
            instrument=INSTRUMENT,
            side=side,
            quantity=quantity,
            order_type=order_type,
            validity=validity,
            price=price,
            trigger_price=trigger_price,
        )

    def bar(self, index: int, ohlc: OHLC, volume: float = 1_000.0) -> None:
        bar = bar_at(index, ohlc, volume)
        self.clock.set(bar.ts)
        self.exchange.on_bar(bar)


def test_market_order_is_acknowledged_then_filled() -> None:
    desk = Desk()
    order = desk.orders.submit(desk.order(Side.BUY))
    assert (order.status, order.broker_order_id) == (S.OPEN, "P000001")
    desk.bar(0, (100, 100.5, 99.5, 100))
    assert (order.status, order.filled_quantity, order.average_price) == (
        S.FILLED,
        10,
        Decimal("100.00"),
    )
    assert desk.portfolio.position_quantity(KEY) == 10
    assert desk.errors == []


def test_bracket_bar_hitting_both_legs_exits_at_the_stop_and_cancels_the_target() -> None:
    desk = Desk()
    entry = desk.order(Side.BUY)
    desk.exits.attach(entry, points(1), points(1), None)
    desk.orders.submit(entry)
    desk.bar(0, (100, 100.5, 98, 99))  # entry fills at 100; legs placed, not matched this bar
    legs = {o.role: o for o in desk.orders.working_orders()}
    assert (legs["stop"].trigger_price, legs["target"].price) == (Decimal("99"), Decimal("101"))
    desk.bar(1, (100, 101.5, 98.5, 100))
    assert (legs["stop"].status, legs["stop"].average_price) == (S.FILLED, Decimal("99.00"))
    assert legs["target"].status is S.CANCELLED and legs["target"].filled_quantity == 0
    assert desk.portfolio.position_quantity(KEY) == 0
    assert desk.exchange.open_orders() == [] and desk.errors == []
    (trade,) = desk.portfolio.trades
    assert trade.pnl == Decimal("-10.00")


def test_modify_refusal_and_cancel_through_the_order_manager() -> None:
    desk = Desk()
    order = desk.orders.submit(desk.order(Side.BUY, OrderType.LIMIT, price=Decimal("99.00")))
    desk.orders.modify(order, price=Decimal("99.50"))
    assert (order.status, order.price) == (S.OPEN, Decimal("99.50"))
    desk.orders.modify(order, price=Decimal("99.52"))
    assert (order.status, order.price) == (S.OPEN, Decimal("99.50"))
    assert "tick size" in order.reason
    desk.orders.cancel(order)
    assert order.status is S.CANCELLED and not desk.orders.has_working_orders()
    desk.orders.cancel(order)  # already final: the manager does not even ask
    assert desk.errors == []


def test_stop_limit_trigger_then_fill_through_the_order_manager() -> None:
    desk = Desk()
    order = desk.orders.submit(
        desk.order(Side.BUY, OrderType.SL, price=Decimal("101.50"), trigger_price=Decimal("101"))
    )
    assert order.status is S.TRIGGER_PENDING
    desk.bar(0, (102, 102.5, 101.8, 102))
    assert order.status is S.OPEN
    desk.bar(1, (101.9, 102, 101.4, 101.6))
    assert (order.status, order.average_price) == (S.FILLED, Decimal("101.50"))
    history = [c.status for c in order.history]
    assert history == [S.PENDING_SUBMIT, S.TRIGGER_PENDING, S.OPEN, S.FILLED]
    assert desk.errors == []


def test_ioc_partial_fill_then_cancel_through_the_order_manager() -> None:
    desk = Desk(PaperConfig(partial_fill_volume_fraction=0.5))
    order = desk.orders.submit(desk.order(Side.SELL, quantity=80, validity=Validity.IOC))
    desk.bar(0, (100, 100.5, 99.5, 100), volume=100)
    assert (order.status, order.filled_quantity) == (S.CANCELLED, 50)
    assert desk.portfolio.position_quantity(KEY) == -50
    assert desk.errors == []
