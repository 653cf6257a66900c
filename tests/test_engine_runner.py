"""The executor's controls: start, pause, resume, stop, emergency stop; errors and refusals."""

from __future__ import annotations

import pytest

from engine_harness import Scripted, make_harness
from scalpbot.domain import Bar
from scalpbot.engine.runner import EngineStateError
from scalpbot.strategies import Strategy, points


def test_controls_refuse_illegal_moves() -> None:
    h = make_harness(start=False)
    runner = h.engine.runner
    with pytest.raises(EngineStateError, match="cannot pause while stopped"):
        h.engine.pause()
    h.engine.start()
    with pytest.raises(EngineStateError, match="cannot start while running"):
        h.engine.start()
    h.engine.pause()
    with pytest.raises(EngineStateError, match="cannot pause while paused"):
        h.engine.pause()
    h.engine.resume()
    assert runner.state == "running"
    h.engine.stop()
    assert runner.state == "stopped"


def test_stopped_runner_shows_strategies_nothing() -> None:
    strategy = Scripted()
    h = make_harness(strategy, start=False)
    h.bar(100, 100, 100, 100)
    assert strategy.bars_seen == 0


def test_pause_blocks_entries_but_not_exits() -> None:
    strategy = Scripted(
        {
            0: lambda ctx: ctx.buy(),
            2: lambda ctx: ctx.buy(),  # refused while paused
            3: lambda ctx: ctx.close(),  # allowed while paused
            5: lambda ctx: ctx.buy(),  # allowed after resume
        }
    )
    h = make_harness(strategy)
    h.bar(100, 100, 100, 100)
    h.bar(100, 101, 99, 100)
    assert h.position == 10
    h.engine.pause("lunch")
    h.bar(100, 101, 99, 100)
    assert strategy.results[2] is None
    assert h.rejections[-1].code == "paused"
    h.bar(100, 101, 99, 100)
    h.bar(100, 101, 99, 100)
    assert h.position == 0
    h.engine.resume()
    h.bar(100, 101, 99, 100)
    h.bar(100, 101, 99, 100)
    assert h.position == 10


def test_paused_runner_keeps_managed_stops_working() -> None:
    strategy = Scripted({0: lambda ctx: ctx.buy(stop_loss=points(5))})
    h = make_harness(strategy)
    h.bar(100, 100, 100, 100)
    h.bar(100, 101, 99, 100)
    h.engine.pause()
    h.bar(99, 99, 90, 92)
    assert h.position == 0


def test_emergency_stop_cancels_flattens_and_halts() -> None:
    strategy = Scripted(
        {
            0: lambda ctx: ctx.buy(stop_loss=points(5), target=points(10)),
            1: lambda ctx: ctx.buy(price=90),  # a resting limit entry
        }
    )
    h = make_harness(strategy)
    h.bar(100, 100, 100, 100)
    h.bar(100, 101, 99, 100)
    assert h.position == 10 and len(h.working()) == 3
    h.engine.emergency_stop("test")
    assert h.engine.runner.state == "halted"
    assert [o.role for o in h.working()] == ["exit"]
    h.bar(100, 100, 98, 99)
    assert h.position == 0 and h.working() == []
    seen = strategy.bars_seen
    h.bar(99, 99, 99, 99)
    assert strategy.bars_seen == seen  # a halted runner feeds strategies nothing
    assert strategy.ctx.buy() is None  # and refuses anything they try
    assert h.rejections[-1].code == "halted"
    with pytest.raises(EngineStateError):
        h.engine.pause()


def test_strategy_errors_are_reported_not_fatal_in_a_session() -> None:
    class Broken(Strategy):
        name = "broken"

        def on_bar(self, bar: Bar) -> None:
            raise RuntimeError("boom")

    h = make_harness(Broken(), raise_errors=False)
    h.bar(100, 100, 100, 100)
    h.bar(100, 100, 100, 100)
    assert len(h.errors) == 2 and "boom" in h.errors[0].message
    assert h.errors[0].source == "strategy:broken:NSE:TEST"


def test_risk_refusal_is_published_with_its_rule() -> None:
    strategy = Scripted({0: lambda ctx: ctx.buy(50)})
    h = make_harness(strategy, risk={"max_order_quantity": 20}, lots=1)
    h.bar(100, 100, 100, 100)
    assert strategy.results[0] is None
    assert h.rejections[-1].code == "max_order_quantity"
    assert h.engine.orders.orders == {}


def test_daily_loss_limit_stops_new_entries_until_the_next_day() -> None:
    strategy = Scripted(
        {0: lambda ctx: ctx.buy(), 2: lambda ctx: ctx.close(), 4: lambda ctx: ctx.buy()}
    )
    h = make_harness(strategy, risk={"daily_loss_limit": 100})
    h.bar(100, 100, 100, 100)
    h.bar(100, 100, 100, 100)
    h.bar(80, 80, 80, 80)  # a ₹200 loss on 10 shares
    h.bar(80, 80, 80, 80)
    h.bar(80, 80, 80, 80)
    assert strategy.results[4] is None
    assert h.rejections[-1].code == "daily_loss_limit"
    assert [e.code for e in h.rejections] == ["daily_loss_limit"]


def test_lot_size_is_enforced_for_explicit_quantities() -> None:
    strategy = Scripted({0: lambda ctx: ctx.buy(0)})
    h = make_harness(strategy)
    h.bar(100, 100, 100, 100)
    assert h.rejections[-1].code == "lot_size"
