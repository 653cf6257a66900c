"""The order manager's journal hooks: a new order is recorded before it reaches the exchange and
written in full after; a store that fails stops the order (before) or says it was sent (after)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paper_support import make_order
from scalpbot.brokers.paper import PaperExchange
from scalpbot.domain import Order, OrderStatus
from scalpbot.engine.bus import EventBus
from scalpbot.engine.clock import SimulatedClock
from scalpbot.engine.errors import JournalError
from scalpbot.engine.order_manager import Journal, OrderManager
from scalpbot.engine.portfolio import Portfolio
from scalpbot.market.charges import NoCharges


class Exchange(PaperExchange):
    """The paper exchange, noting which orders reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[str] = []

    def submit(self, order: Order) -> None:
        self.received.append(order.client_order_id)
        super().submit(order)


def _manager(journal: Journal, journal_sent: Journal) -> tuple[OrderManager, Exchange]:
    exchange = Exchange()
    manager = OrderManager(
        exchange,
        Portfolio(Decimal(10**6), NoCharges()),
        EventBus(),
        SimulatedClock(),
        id_prefix="J",
        journal=journal,
        journal_sent=journal_sent,
    )
    return manager, exchange


def test_the_record_comes_before_the_exchange_and_the_full_write_after() -> None:
    seen: list[tuple[str, str, OrderStatus]] = []
    manager, exchange = _manager(
        lambda o: seen.append(("journal", ",".join(exchange.received), o.status)),
        lambda o: seen.append(("sent", ",".join(exchange.received), o.status)),
    )
    manager.submit(make_order("J1", order_type="LIMIT", price="1"))
    assert seen == [
        ("journal", "", OrderStatus.PENDING_SUBMIT),  # before the exchange had it
        ("journal", "J1", OrderStatus.OPEN),  # the exchange's answer, inside its submit
        ("sent", "J1", OrderStatus.OPEN),
    ]


def test_a_failed_record_sends_nothing() -> None:
    def broken(order: Order) -> None:
        raise OSError("disk full")

    manager, exchange = _manager(broken, lambda o: None)
    with pytest.raises(JournalError, match="J1 could not be journaled, so it was not sent: disk"):
        manager.submit(make_order("J1", order_type="LIMIT", price="1"))
    assert exchange.received == [] and manager.get("J1") is None


def test_a_failed_full_write_says_the_order_was_sent() -> None:
    def broken(order: Order) -> None:
        raise OSError("database is locked")

    manager, exchange = _manager(lambda o: None, broken)
    with pytest.raises(JournalError, match=r"J1 was sent \(its journal record is kept"):
        manager.submit(make_order("J1", order_type="LIMIT", price="1"))
    assert exchange.received == ["J1"]
    assert manager.get("J1") is not None  # tracked: the broker's news about it still applies
