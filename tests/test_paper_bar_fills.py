"""Bar-mode fill rules of the paper exchange, one table row per scenario.

Prices use a 0.05 tick. Orders are placed on the bar at T0; bar 0 is the next bar. Each row:
order (side, type, price, trigger), config, the bars fed (open, high, low, close) and the
expected fills as (bar index, price), empty for "never fills".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from paper_support import (
    MINUTE,
    OHLC,
    bar_at,
    bar_index,
    exchange_with,
    make_order,
)
from scalpbot.domain import OrderStatus, Validity

Row = tuple[str, str, str | None, str | None, dict[str, Any], list[OHLC], list[tuple[int, str]]]

NORMAL = (100.0, 100.5, 99.5, 100.2)

# fmt: off
ROWS: dict[str, Row] = {
    # -- market: the next bar's open, rounded against the trader, plus slippage ----------------
    "market buy at next open": ("BUY", "MARKET", None, None, {}, [NORMAL], [(0, "100.00")]),
    "market sell at next open": ("SELL", "MARKET", None, None, {}, [NORMAL], [(0, "100.00")]),
    "market buy rounds up off-grid open": (
        "BUY", "MARKET", None, None, {}, [(100.02, 100.5, 99.5, 100)], [(0, "100.05")]),
    "market sell rounds down off-grid open": (
        "SELL", "MARKET", None, None, {}, [(100.08, 100.5, 99.5, 100)], [(0, "100.05")]),
    "market buy slippage 2 ticks": (
        "BUY", "MARKET", None, None, {"slippage_ticks": 2}, [NORMAL], [(0, "100.10")]),
    "market sell slippage 2 ticks": (
        "SELL", "MARKET", None, None, {"slippage_ticks": 2}, [NORMAL], [(0, "99.90")]),
    # -- limit --------------------------------------------------------------------------------
    "buy limit exact touch fills": (
        "BUY", "LIMIT", "99.50", None, {}, [(100, 101, 99.5, 100)], [(0, "99.50")]),
    "buy limit a tick short: no fill": (
        "BUY", "LIMIT", "99.50", None, {}, [(100, 101, 99.55, 100)], []),
    "buy limit fills on a later bar": (
        "BUY", "LIMIT", "99.50", None, {},
        [(100, 101, 99.6, 100), (99.6, 100, 99.0, 99.5)], [(1, "99.50")]),
    "buy limit gap down fills at open": (
        "BUY", "LIMIT", "99.50", None, {}, [(99.0, 99.4, 98.5, 99)], [(0, "99.00")]),
    "buy limit no slippage": (
        "BUY", "LIMIT", "99.50", None, {"slippage_ticks": 3}, [(100, 101, 99, 100)],
        [(0, "99.50")]),
    "sell limit exact touch fills": (
        "SELL", "LIMIT", "101.00", None, {}, [(100, 101, 99, 100)], [(0, "101.00")]),
    "sell limit gap up fills at open": (
        "SELL", "LIMIT", "101.00", None, {}, [(102, 103, 101.5, 102)], [(0, "102.00")]),
    "sell limit not reached": ("SELL", "LIMIT", "101.00", None, {}, [(100, 100.95, 99, 100)], []),
    # -- stop-market --------------------------------------------------------------------------
    "buy SL-M triggers intrabar at trigger": (
        "BUY", "SL-M", None, "101.00", {}, [(100, 101.2, 99.8, 101)], [(0, "101.00")]),
    "buy SL-M exact touch triggers": (
        "BUY", "SL-M", None, "101.00", {}, [(100, 101, 99, 100)], [(0, "101.00")]),
    "buy SL-M gap up fills at open": (
        "BUY", "SL-M", None, "101.00", {}, [(102, 103, 101.5, 102.5)], [(0, "102.00")]),
    "buy SL-M slippage": (
        "BUY", "SL-M", None, "101.00", {"slippage_ticks": 2}, [(100, 101.2, 99.8, 101)],
        [(0, "101.10")]),
    "sell SL-M triggers intrabar": (
        "SELL", "SL-M", None, "99.00", {}, [(100, 100.5, 98.7, 99)], [(0, "99.00")]),
    "sell SL-M gap down fills at open": (
        "SELL", "SL-M", None, "99.00", {}, [(98, 98.5, 97, 98)], [(0, "98.00")]),
    "sell SL-M gap down with slippage": (
        "SELL", "SL-M", None, "99.00", {"slippage_ticks": 1}, [(98, 98.5, 97, 98)],
        [(0, "97.95")]),
    "sell SL-M not hit": ("SELL", "SL-M", None, "99.00", {}, [(100, 101, 99.05, 100)], []),
    # -- stop-limit ---------------------------------------------------------------------------
    "buy SL marketable at trigger fills at trigger": (
        "BUY", "SL", "101.50", "101.00", {"slippage_ticks": 2}, [(100, 102, 99.5, 101.8)],
        [(0, "101.00")]),
    "buy SL gap between trigger and limit fills at open": (
        "BUY", "SL", "101.50", "101.00", {}, [(101.3, 102, 101, 101.8)], [(0, "101.30")]),
    "buy SL gap past both fills at limit when bar comes back": (
        "BUY", "SL", "101.50", "101.00", {}, [(102, 102.5, 101.4, 102)], [(0, "101.50")]),
    "buy SL gap past both, no way back: rests, fills next bar": (
        "BUY", "SL", "101.50", "101.00", {},
        [(102, 102.5, 101.8, 102), (101.9, 102, 101.4, 101.6)], [(1, "101.50")]),
    "buy SL limit below trigger fills on the way back down": (
        "BUY", "SL", "100.80", "101.00", {}, [(100, 101.5, 100.5, 101)], [(0, "100.80")]),
    "buy SL limit below trigger, bar never comes back": (
        "BUY", "SL", "99.50", "101.00", {}, [(100, 101.5, 99.9, 101)], []),
    "sell SL marketable at trigger": (
        "SELL", "SL", "98.50", "99.00", {}, [(100, 100.2, 98.8, 99)], [(0, "99.00")]),
    "sell SL limit above trigger fills on the way back up": (
        "SELL", "SL", "99.20", "99.00", {}, [(100, 100.5, 98.8, 99.5)], [(0, "99.20")]),
    "sell SL gap below both rests unfilled": (
        "SELL", "SL", "98.50", "99.00", {}, [(98, 98.3, 97.5, 98)], []),
    # -- latency ------------------------------------------------------------------------------
    "latency shorter than a bar: next bar": (
        "BUY", "MARKET", None, None, {"latency_ns": MINUTE // 2}, [NORMAL, NORMAL],
        [(0, "100.00")]),
    "latency exactly a bar: next bar still eligible": (
        "BUY", "MARKET", None, None, {"latency_ns": MINUTE}, [NORMAL, NORMAL], [(0, "100.00")]),
    "latency 1.5 bars skips a bar": (
        "BUY", "MARKET", None, None, {"latency_ns": MINUTE * 3 // 2},
        [NORMAL, (101, 101.5, 100.5, 101)], [(1, "101.00")]),
    "latency delays a limit past a touching bar": (
        "BUY", "LIMIT", "99.50", None, {"latency_ns": MINUTE * 2},
        [(100, 101, 99, 100), (100, 100.5, 99.8, 100), (100, 100.5, 99.5, 100)], [(2, "99.50")]),
}
# fmt: on


@pytest.mark.parametrize(
    ("side", "order_type", "price", "trigger", "config", "bars", "expected"),
    list(ROWS.values()),
    ids=list(ROWS),
)
def test_bar_fill_rules(
    side: str,
    order_type: str,
    price: str | None,
    trigger: str | None,
    config: dict[str, Any],
    bars: list[OHLC],
    expected: list[tuple[int, str]],
) -> None:
    exchange, recorder = exchange_with(**config)
    exchange.submit(make_order("C1", side, order_type, price, trigger))
    for i, ohlc in enumerate(bars):
        exchange.on_bar(bar_at(i, ohlc))
    got = [(bar_index(f.ts), f.price) for f in recorder.fills]
    assert got == [(i, Decimal(p)) for i, p in expected]
    for fill in recorder.fills:
        assert fill.quantity == 10 and fill.charges == 0 and fill.broker_order_id == "P000001"
    assert (exchange.open_orders() == []) == bool(expected)


def test_market_order_never_fills_on_the_bar_it_was_placed_on() -> None:
    exchange, recorder = exchange_with()
    exchange.submit(make_order(ts=bar_at(0, NORMAL).ts))
    exchange.on_bar(bar_at(0, NORMAL))
    assert recorder.fills == []
    exchange.on_bar(bar_at(1, (101, 102, 100, 101)))
    assert [f.price for f in recorder.fills] == [Decimal("101.00")]


def test_stop_limit_triggered_without_fill_reports_open_then_works_as_limit() -> None:
    exchange, recorder = exchange_with()
    exchange.submit(make_order("C1", "SELL", "SL", "98.50", "99.00"))
    exchange.on_bar(bar_at(0, (98, 98.3, 97.5, 98)))
    assert recorder.statuses("C1") == [OrderStatus.TRIGGER_PENDING, OrderStatus.OPEN]
    assert "98.50" in recorder.updates[-1].reason
    (resting,) = exchange.open_orders()
    assert resting.triggered and resting.status is OrderStatus.OPEN
    exchange.on_bar(bar_at(1, (98.2, 98.6, 98.1, 98.4)))
    assert [(bar_index(f.ts), f.price) for f in recorder.fills] == [(1, Decimal("98.50"))]


def test_fills_carry_deterministic_ids_and_the_bar_time() -> None:
    exchange, recorder = exchange_with()
    exchange.submit(make_order("A", "BUY"))
    exchange.submit(make_order("B", "SELL"))
    bar = bar_at(0, NORMAL)
    exchange.on_bar(bar)
    assert [(f.fill_id, f.client_order_id, f.broker_order_id) for f in recorder.fills] == [
        ("PF000001", "A", "P000001"),
        ("PF000002", "B", "P000002"),
    ]
    assert {f.ts for f in recorder.fills} == {bar.ts}


def test_bars_of_other_instruments_do_not_touch_the_book() -> None:
    exchange, recorder = exchange_with()
    exchange.submit(make_order())
    exchange.on_bar(bar_at(0, NORMAL, key="NSE:OTHER"))
    assert recorder.fills == [] and len(exchange.open_orders()) == 1


# -- IOC ---------------------------------------------------------------------------------------
def test_ioc_limit_not_filled_on_first_eligible_bar_is_cancelled() -> None:
    exchange, recorder = exchange_with()
    exchange.submit(make_order("C1", "BUY", "LIMIT", "99.50", validity=Validity.IOC))
    exchange.on_bar(bar_at(0, (100, 101, 99.8, 100)))
    exchange.on_bar(bar_at(1, (99, 99.5, 98, 99)))
    assert recorder.fills == []
    assert recorder.statuses("C1") == [OrderStatus.OPEN, OrderStatus.CANCELLED]
    assert "IOC" in recorder.updates[-1].reason
    assert exchange.open_orders() == []


def test_ioc_waits_for_its_first_eligible_bar_under_latency() -> None:
    exchange, recorder = exchange_with(latency_ns=MINUTE * 2)
    exchange.submit(make_order("C1", "BUY", "LIMIT", "99.50", validity=Validity.IOC))
    exchange.on_bar(bar_at(0, (100, 101, 99.8, 100)))
    assert recorder.statuses("C1") == [OrderStatus.OPEN]
    exchange.on_bar(bar_at(1, (99.6, 100, 99.2, 99.5)))
    assert [f.price for f in recorder.fills] == [Decimal("99.50")]
    assert recorder.statuses("C1") == [OrderStatus.OPEN]


def test_ioc_market_fills() -> None:
    exchange, recorder = exchange_with()
    exchange.submit(make_order(validity=Validity.IOC))
    exchange.on_bar(bar_at(0, NORMAL))
    assert [f.price for f in recorder.fills] == [Decimal("100.00")]
    assert recorder.statuses("C1") == [OrderStatus.OPEN]
