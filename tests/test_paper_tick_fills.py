"""Tick-mode fill rules of the paper exchange, one table row per scenario.

Each row: order (side, type, price, trigger), config, the ticks fed as (ns after the order,
last, bid, ask) and the expected fills as (tick index, price), empty for "never fills".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from paper_support import exchange_with, make_order, tick_at
from scalpbot.domain import OrderStatus, Validity

TickRow = tuple[int, float, float | None, float | None]
Row = tuple[str, str, str | None, str | None, dict[str, Any], list[TickRow], list[tuple[int, str]]]

MS = 1_000_000
QUOTE = (1 * MS, 100.0, 99.95, 100.05)

# fmt: off
ROWS: dict[str, Row] = {
    "market buy at the ask": ("BUY", "MARKET", None, None, {}, [QUOTE], [(0, "100.05")]),
    "market sell at the bid": ("SELL", "MARKET", None, None, {}, [QUOTE], [(0, "99.95")]),
    "market buy without quotes at last": (
        "BUY", "MARKET", None, None, {}, [(MS, 100.0, None, None)], [(0, "100.00")]),
    "market buy off-grid ask rounds up": (
        "BUY", "MARKET", None, None, {}, [(MS, 100.0, 99.9, 100.07)], [(0, "100.10")]),
    "market sell with slippage": (
        "SELL", "MARKET", None, None, {"slippage_ticks": 2}, [QUOTE], [(0, "99.85")]),
    "buy limit waits for the ask": (
        "BUY", "LIMIT", "100.00", None, {},
        [QUOTE, (2 * MS, 100.0, 99.95, 100.0)], [(1, "100.00")]),
    "buy limit below the ask fills at the ask": (
        "BUY", "LIMIT", "100.00", None, {}, [(MS, 99.9, 99.85, 99.9)], [(0, "99.90")]),
    "buy limit ignores a low last price while the ask is high": (
        "BUY", "LIMIT", "100.00", None, {}, [(MS, 99.5, 99.95, 100.05)], []),
    "sell limit at the bid or better": (
        "SELL", "LIMIT", "100.00", None, {"slippage_ticks": 4},
        [QUOTE, (2 * MS, 100.2, 100.1, 100.25)], [(1, "100.10")]),
    "buy SL-M triggers on last and fills at the ask": (
        "BUY", "SL-M", None, "101.00", {},
        [(MS, 100.95, 100.9, 101.0), (2 * MS, 101.0, 100.95, 101.05)], [(1, "101.05")]),
    "sell SL-M with slippage": (
        "SELL", "SL-M", None, "99.00", {"slippage_ticks": 1},
        [(MS, 99.0, 98.95, 99.05)], [(0, "98.90")]),
    "buy SL marketable on the triggering tick": (
        "BUY", "SL", "101.10", "101.00", {}, [(MS, 101.0, 100.95, 101.05)], [(0, "101.05")]),
    "buy SL triggered, ask above limit: rests, fills later": (
        "BUY", "SL", "101.05", "101.00", {},
        [(MS, 101.0, 101.0, 101.1), (2 * MS, 101.1, 101.05, 101.15),
         (3 * MS, 101.0, 101.0, 101.05)],
        [(2, "101.05")]),
    "sell SL below trigger without bid falls back to last": (
        "SELL", "SL", "98.90", "99.00", {}, [(MS, 98.95, None, None)], [(0, "98.95")]),
    "tick at the submit time is eligible": (
        "BUY", "MARKET", None, None, {}, [(0, 100.0, 99.95, 100.05)], [(0, "100.05")]),
    "latency: ticks before it are skipped": (
        "BUY", "MARKET", None, None, {"latency_ns": 5 * MS},
        [(MS, 100.0, 99.95, 100.05), (5 * MS - 1, 100.0, 99.95, 100.05),
         (5 * MS, 100.1, 100.05, 100.15)],
        [(2, "100.15")]),
}
# fmt: on


@pytest.mark.parametrize(
    ("side", "order_type", "price", "trigger", "config", "ticks", "expected"),
    list(ROWS.values()),
    ids=list(ROWS),
)
def test_tick_fill_rules(
    side: str,
    order_type: str,
    price: str | None,
    trigger: str | None,
    config: dict[str, Any],
    ticks: list[TickRow],
    expected: list[tuple[int, str]],
) -> None:
    exchange, recorder = exchange_with(**config)
    exchange.submit(make_order("C1", side, order_type, price, trigger))
    stamps = []
    for offset, last, bid, ask in ticks:
        tick = tick_at(offset, last, bid, ask)
        stamps.append(tick.ts)
        exchange.on_tick(tick)
    got = [(stamps.index(f.ts), f.price) for f in recorder.fills]
    assert got == [(i, Decimal(p)) for i, p in expected]
    assert (exchange.open_orders() == []) == bool(expected)


def test_stop_limit_trigger_without_fill_reports_open() -> None:
    exchange, recorder = exchange_with()
    exchange.submit(make_order("C1", "BUY", "SL", "101.05", "101.00"))
    exchange.on_tick(tick_at(MS, 101.0, 101.0, 101.1))
    assert recorder.statuses("C1") == [OrderStatus.TRIGGER_PENDING, OrderStatus.OPEN]
    assert recorder.fills == []


def test_ioc_in_tick_mode_gets_one_tick() -> None:
    exchange, recorder = exchange_with()
    exchange.submit(make_order("C1", "BUY", "LIMIT", "100.00", validity=Validity.IOC))
    exchange.on_tick(tick_at(MS, 100.0, 99.95, 100.05))
    exchange.on_tick(tick_at(2 * MS, 99.9, 99.85, 99.9))
    assert recorder.fills == []
    assert recorder.statuses("C1") == [OrderStatus.OPEN, OrderStatus.CANCELLED]
    assert "first eligible tick" in recorder.updates[-1].reason


def test_one_tick_fills_stops_before_market_before_limits() -> None:
    exchange, recorder = exchange_with()
    exchange.submit(make_order("LIM", "SELL", "LIMIT", "99.00"))
    exchange.submit(make_order("MKT", "BUY", "MARKET"))
    exchange.submit(make_order("STP", "SELL", "SL-M", None, "100.00"))
    exchange.on_tick(tick_at(MS, 100.0, 99.95, 100.05))
    assert [(f.client_order_id, f.price) for f in recorder.fills] == [
        ("STP", Decimal("99.95")),
        ("MKT", Decimal("100.05")),
        ("LIM", Decimal("99.95")),
    ]
