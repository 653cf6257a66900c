"""Broker faults on every order call, against the Kite sandbox through the real adapter, the
broker gateway and the order manager: 429, 5xx, a timeout before and after the broker took the
order (each with the request sent from a worker thread and from the event loop), a refused
modification, a partial fill followed by a cancel.

Each case checks what a trader needs: the order's true state is known within seconds, the
broker's book holds it at most once (counted by our tag), and the order manager and portfolio —
what the strategy sees — agree with the broker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sandbox_support import broker_row, control, logged_in_broker, running_sandbox
from scalpbot.brokers.zerodha.broker import ZerodhaBroker
from scalpbot.domain import Order, OrderStatus, OrderType, Side
from scalpbot.engine.bus import EventBus
from scalpbot.engine.clock import WallClock
from scalpbot.engine.order_manager import OrderManager
from scalpbot.engine.portfolio import Portfolio
from scalpbot.market.charges import NoCharges
from scalpbot.runtime.broker_gateway import BrokerGateway
from scalpbot.sandbox.zerodha.server import SandboxServer

S = OrderStatus
KNOWN_WITHIN_S = 8.0


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with running_sandbox(time_scale=60) as server:
        yield server


@pytest.fixture()
def broker(sandbox: SandboxServer, tmp_path: Path) -> Iterator[ZerodhaBroker]:
    control(sandbox, "reset", {})
    control(sandbox, "market", {"paused": True})  # prices move only when a test says so
    made = logged_in_broker(sandbox, tmp_path, timeout=0.5)
    made.instrument("NSE:SBIN")  # the instrument master is read before any fault
    yield made
    made.close()


class Desk:
    """What a strategy trades through: order manager and portfolio over the broker gateway."""

    def __init__(self, broker: ZerodhaBroker) -> None:
        self.broker = broker
        self.gateway = BrokerGateway(broker, resolve_delays=(0.2, 0.4), trade_pause_s=0.05)
        self.portfolio = Portfolio(Decimal(1_000_000), NoCharges())
        self.manager = OrderManager(
            self.gateway, self.portfolio, EventBus(), WallClock(), id_prefix="FX"
        )
        self.sbin = broker.instrument("NSE:SBIN")

    def order(self, side: Side = Side.BUY, quantity: int = 5, **extra: Any) -> Order:
        made = Order(self.manager.next_client_id(), self.sbin, side, quantity, **extra)
        return self.manager.submit(made)

    async def until(self, predicate: Callable[[], bool], what: str) -> float:
        """Seconds it took for `predicate` to hold (fails past KNOWN_WITHIN_S)."""
        start = time.monotonic()
        while not predicate():
            if time.monotonic() - start > KNOWN_WITHIN_S:
                raise AssertionError(f"not known within {KNOWN_WITHIN_S} s: {what}")
            await asyncio.sleep(0.02)
        return time.monotonic() - start

    async def settle(self) -> None:
        await self.gateway.drain()
        await asyncio.sleep(0.2)
        await self.gateway.drain()
        await self.gateway.close()


def _book(sandbox: SandboxServer) -> dict[str, Any]:
    return control(sandbox, "orders")  # type: ignore[no-any-return]


def _broker_position(sandbox: SandboxServer) -> int:
    rows = _book(sandbox)["positions"]
    return sum(p["quantity"] for p in rows if p["tradingsymbol"] == "SBIN")


PLACE_FAULTS = [
    # fault, options, final state, did it reach the broker
    ("http_429", {"count": 1}, S.FILLED, True),  # refused before it was acted on: sent again
    ("http_429", {"count": 20}, S.REJECTED, False),  # still refused after the back-off
    ("http_5xx", {"count": 1}, S.REJECTED, False),  # unknown, looked up by tag: never arrived
    ("stall_request", {"seconds": 2}, S.REJECTED, False),  # timeout before the broker took it
    ("stall_order", {"seconds": 2}, S.FILLED, True),  # timeout after the broker took it
    ("fail_after_order", {}, S.FILLED, True),  # 5xx after the broker took it
]


@pytest.mark.parametrize("sent_from", ["worker thread", "event loop"])
@pytest.mark.parametrize(("fault", "options", "final", "arrived"), PLACE_FAULTS)
def test_a_fault_on_placing_leaves_the_true_state_known_and_nothing_doubled(
    sandbox: SandboxServer,
    broker: ZerodhaBroker,
    fault: str,
    options: dict[str, Any],
    final: OrderStatus,
    arrived: bool,
    sent_from: str,
) -> None:
    written: list[str] = []  # requests written by the adapter's event-loop order channel

    async def scenario() -> tuple[Order, float, Desk]:
        desk = Desk(broker)
        if sent_from == "event loop":
            await broker.order_channel.open()
            broker.order_channel.on_write = written.append
        control(sandbox, "fault", {"kind": fault, **options})
        order = desk.order()  # a market order: it fills at once once the broker has it
        assert written == (["/orders/regular"] if sent_from == "event loop" else [])
        took = await desk.until(lambda: order.status is final, f"{fault} → {final}")
        await desk.settle()
        return order, took, desk

    order, took, desk = asyncio.run(scenario())
    control(sandbox, "fault", {"kind": "http_429", "count": 0})
    assert took < KNOWN_WITHIN_S
    by_tag = _book(sandbox)["by_tag"]
    assert by_tag.get(order.client_order_id, 0) == (1 if arrived else 0)
    held = desk.portfolio.position_quantity("NSE:SBIN")
    assert held == _broker_position(sandbox) == (5 if arrived else 0)
    if final is S.REJECTED:
        assert order.reason  # the strategy is told why
    assert order.status is final  # nothing later moved it back


def test_a_refused_modification_leaves_the_order_as_the_broker_has_it(
    sandbox: SandboxServer, broker: ZerodhaBroker
) -> None:
    async def scenario() -> Order:
        desk = Desk(broker)
        order = desk.order(order_type=OrderType.LIMIT, price=Decimal("100"))  # far below
        await desk.until(lambda: order.status is S.OPEN, "resting")
        await desk.gateway.drain()
        control(sandbox, "fault", {"kind": "reject_modify"})
        desk.manager.modify(order, price=Decimal("101"))
        await desk.until(lambda: order.status is S.OPEN and "refused" in order.reason, "refused")
        assert order.price == Decimal("100")
        await desk.gateway.drain()  # its follow-up look at the book is done
        lost = {"kind": "http_5xx", "count": 1, "method": "PUT"}  # and a lost answer
        control(sandbox, "fault", lost)
        desk.manager.modify(order, price=Decimal("102"))
        await desk.until(lambda: order.status is S.OPEN, "unknown outcome settled")
        await desk.gateway.drain()
        assert order.price == Decimal("100")  # the sandbox did nothing, and the book says so
        desk.manager.modify(order, price=Decimal("103"))  # and one that goes through
        await desk.until(lambda: order.price == Decimal("103"), "modified")
        await desk.settle()
        return order

    order = asyncio.run(scenario())
    row = broker_row(sandbox, order.client_order_id)
    assert (row["status"], row["price"]) == ("OPEN", 103.0)
    assert order.status is S.OPEN and order.price == Decimal("103")
    assert _book(sandbox)["by_tag"][order.client_order_id] == 1


def test_a_partial_fill_then_a_cancel_keeps_the_filled_part(
    sandbox: SandboxServer, broker: ZerodhaBroker
) -> None:
    sandbox.state.book.liquidity = 100

    async def scenario() -> Desk:
        desk = Desk(broker)
        order = desk.order(quantity=250, order_type=OrderType.LIMIT, price=Decimal("2000"))
        await desk.until(lambda: order.filled_quantity == 100, "first part filled")
        assert order.status is S.PARTIALLY_FILLED
        await desk.gateway.drain()
        refused = {"kind": "http_429", "count": 1, "method": "DELETE"}
        control(sandbox, "fault", refused)  # the cancel is sent again
        desk.manager.cancel(order)
        await desk.until(lambda: order.status is S.CANCELLED, "cancelled")
        await desk.settle()
        desk.done = order  # type: ignore[attr-defined]
        return desk

    desk = asyncio.run(scenario())
    order: Order = desk.done  # type: ignore[attr-defined]
    assert order.filled_quantity == 100 and order.status is S.CANCELLED
    assert desk.portfolio.position_quantity("NSE:SBIN") == _broker_position(sandbox) == 100
    row = broker_row(sandbox, order.client_order_id)
    assert (row["status"], row["filled_quantity"], row["cancelled_quantity"]) == (
        "CANCELLED",
        100,
        150,
    )
    trades = broker.get_order_trades(order.broker_order_id or "")
    assert [t.quantity for t in trades] == [100]
    assert order.average_price == trades[0].price


def test_a_cancel_lost_to_a_5xx_is_settled_from_the_book(
    sandbox: SandboxServer, broker: ZerodhaBroker
) -> None:
    async def scenario() -> Order:
        desk = Desk(broker)
        order = desk.order(order_type=OrderType.LIMIT, price=Decimal("100"))
        await desk.until(lambda: order.status is S.OPEN, "resting")
        await desk.gateway.drain()
        control(sandbox, "fault", {"kind": "http_5xx", "count": 1, "method": "DELETE"})
        desk.manager.cancel(order)  # the sandbox did nothing: the book still has it open
        await desk.until(lambda: order.status is S.OPEN and "refused" in order.reason, "refused")
        desk.manager.cancel(order)
        await desk.until(lambda: order.status is S.CANCELLED, "cancelled")
        await desk.settle()
        return order

    order = asyncio.run(scenario())
    row = broker_row(sandbox, order.client_order_id)
    assert row["status"] == "CANCELLED" and order.status is S.CANCELLED


def test_a_cancel_asked_before_the_broker_answered_the_order_is_sent_after_it(
    sandbox: SandboxServer, broker: ZerodhaBroker
) -> None:
    """A stopping session cancels every working order, including one whose placing is still
    unanswered: the cancel waits for the answer (here lost, so found by its tag) and is then
    sent, instead of failing on an order that is not at the broker yet."""

    async def scenario() -> Order:
        desk = Desk(broker)
        control(sandbox, "fault", {"kind": "stall_order", "seconds": 1})
        order = desk.order(order_type=OrderType.LIMIT, price=Decimal("100"))
        assert order.status is S.PENDING_SUBMIT
        desk.manager.cancel(order)
        await desk.until(lambda: order.status is S.CANCELLED, "cancelled")
        await desk.settle()
        return order

    order = asyncio.run(scenario())
    row = broker_row(sandbox, order.client_order_id)
    assert row["status"] == "CANCELLED"
