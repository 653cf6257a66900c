"""What a long session on many instruments keeps in memory grows with time, not with every
order or every instrument (found by bench/memory_day.py: 500 instruments for a day)."""

from __future__ import annotations

import pytest

import scalpbot.brokers.paper.exchange as exchange_module
from paper_support import exchange_with, make_order
from scalpbot.brokers.paper import PaperExchange
from scalpbot.runtime.recorder import EquityRecorder


def test_the_equity_curve_keeps_one_point_per_bar_time() -> None:
    recorder = EquityRecorder()
    for minute in range(3):
        for instrument in range(500):  # every instrument's bar closes at the same minute
            recorder.record(minute * 60, 1_000.0 + minute + instrument / 1000, instrument % 2 == 0)
    assert len(recorder) == 3
    assert recorder.equity == [1_000.499, 1_001.499, 1_002.499]  # after the last bar of each
    assert recorder.in_market == [False, False, False]


def test_the_paper_book_remembers_only_the_latest_finished_orders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(exchange_module, "FINISHED_KEPT", 5)
    exchange, _recorder = exchange_with()
    for number in range(12):  # each rests, then is cancelled: finished
        order = make_order(f"R{number}", order_type="LIMIT", price="1")
        exchange.submit(order)
        exchange.cancel(order)
    state = exchange.to_state()
    assert list(state["finished"]) == [f"R{n}" for n in range(7, 12)]
    restored = PaperExchange.from_state(state)
    assert restored.to_state()["finished"] == state["finished"]


def test_the_order_manager_forgets_finished_orders_but_never_working_ones() -> None:
    from decimal import Decimal

    from scalpbot.engine.bus import EventBus
    from scalpbot.engine.clock import SimulatedClock
    from scalpbot.engine.order_manager import OrderManager
    from scalpbot.engine.portfolio import Portfolio
    from scalpbot.market.charges import NoCharges

    exchange = PaperExchange()
    manager = OrderManager(exchange, Portfolio(Decimal(10**6), NoCharges()), EventBus(),
                           SimulatedClock(), id_prefix="M")  # fmt: skip
    resting = manager.submit(make_order(manager.next_client_id(), order_type="LIMIT", price="1"))
    for _ in range(10):
        order = manager.submit(make_order(manager.next_client_id(), order_type="LIMIT", price="1"))
        manager.cancel(order)
    assert manager.forget_finished(keep=3) == 7
    assert list(manager.orders) == [resting.client_order_id, "M000009", "M000010", "M000011"]
    assert manager.forget_finished(keep=3) == 0
    assert manager.get(resting.client_order_id) is resting
