"""Managed exits through the real engine and paper exchange: OCO, trailing, watched stops."""

from __future__ import annotations

from decimal import Decimal

from engine_harness import Scripted, make_harness
from scalpbot.domain import OrderStatus, OrderType
from scalpbot.strategies import atr, pct, points, price


def test_target_fills_and_cancels_the_stop() -> None:
    strategy = Scripted({0: lambda ctx: ctx.buy(stop_loss=points(5), target=points(10))})
    h = make_harness(strategy)
    h.bar(100, 100, 100, 100)  # strategy buys on this close
    h.bar(100, 101, 99, 100)  # entry fills at 100; legs placed
    legs = {o.role: o for o in h.working()}
    assert legs["stop"].order_type is OrderType.SL_M
    assert legs["stop"].trigger_price == Decimal("95.00")
    assert legs["target"].price == Decimal("110.00")
    h.bar(105, 111, 104, 109)
    assert h.position == 0
    assert h.working() == []
    assert legs["stop"].status is OrderStatus.CANCELLED
    trade = h.engine.portfolio.trades[-1]
    assert trade.exit_price == Decimal(110) and trade.pnl == Decimal(100)
    assert [e.kind for e in h.exits] == ["target"]


def test_bar_touching_stop_and_target_takes_the_stop() -> None:
    strategy = Scripted({0: lambda ctx: ctx.buy(stop_loss=points(5), target=points(10))})
    h = make_harness(strategy)
    h.bar(100, 100, 100, 100)
    h.bar(100, 101, 99, 100)
    h.bar(100, 111, 94, 100)  # both levels inside one bar: the worst case is assumed
    trade = h.engine.portfolio.trades[-1]
    assert trade.exit_price == Decimal(95)
    assert [e.kind for e in h.exits] == ["stop"]
    assert h.working() == []


def test_trailing_stop_follows_the_high_and_exits() -> None:
    strategy = Scripted({0: lambda ctx: ctx.buy(trailing_stop=points(5))})
    h = make_harness(strategy)
    h.bar(100, 100, 100, 100)
    h.bar(100, 101, 99, 100)  # entry at 100, stop 96 after this bar's high of 101
    (stop,) = h.working()
    assert stop.trigger_price == Decimal("96.00")
    h.bar(101, 110, 100, 109)  # trail moves to 105 after the bar
    assert stop.trigger_price == Decimal("105.00")
    h.bar(108, 108, 107, 107)  # lower high: the stop never moves back
    assert stop.trigger_price == Decimal("105.00")
    h.bar(106, 106, 103, 104)
    assert h.position == 0
    assert h.engine.portfolio.trades[-1].exit_price == Decimal(105)
    assert [e.kind for e in h.exits] == ["trailing"]


def test_short_entry_exits_mirror() -> None:
    strategy = Scripted({0: lambda ctx: ctx.sell(stop_loss=pct(2), target=pct(3))})
    h = make_harness(strategy)
    h.bar(200, 200, 200, 200)
    h.bar(200, 201, 199, 200)
    legs = {o.role: o for o in h.working()}
    assert legs["stop"].trigger_price == Decimal("204.00")
    assert legs["target"].price == Decimal("194.00")
    h.bar(199, 199, 193, 195)
    assert h.position == 0
    assert h.engine.portfolio.trades[-1].pnl == Decimal(60)


def test_watched_stop_when_the_broker_has_no_stop_orders() -> None:
    strategy = Scripted({0: lambda ctx: ctx.buy(stop_loss=points(5), target=points(10))})
    h = make_harness(strategy, resting_stops=False)
    h.bar(100, 100, 100, 100)
    h.bar(100, 101, 99, 100)
    assert [o.role for o in h.working()] == ["target"]
    h.bar(99, 99, 94, 96)  # crossed: a market exit goes out, the target is withdrawn
    assert h.working()[0].order_type is OrderType.MARKET
    h.bar(96, 97, 95, 96)
    assert h.position == 0
    assert h.engine.portfolio.trades[-1].exit_price == Decimal(96)


def test_close_withdraws_the_legs() -> None:
    strategy = Scripted(
        {0: lambda ctx: ctx.buy(stop_loss=points(5), target=points(10)), 2: lambda ctx: ctx.close()}
    )
    h = make_harness(strategy)
    h.bar(100, 100, 100, 100)
    h.bar(100, 101, 99, 100)
    h.bar(100, 102, 98, 101)  # strategy closes on this bar
    assert [o.role for o in h.working()] == ["exit"]
    h.bar(101, 101, 100, 100)
    assert h.position == 0 and h.working() == []


def test_default_stop_from_risk_settings_applies_when_none_given() -> None:
    strategy = Scripted({0: lambda ctx: ctx.buy()})
    h = make_harness(strategy, risk={"default_stop_pct": 1.0})
    h.bar(500, 500, 500, 500)
    h.bar(500, 501, 499, 500)
    (stop,) = h.working()
    assert stop.role == "stop" and stop.trigger_price == Decimal("495.00")


def test_fixed_level_and_atr_exits() -> None:
    strategy = Scripted({15: lambda ctx: ctx.buy(stop_loss=atr(2), target=price(130))})
    strategy.uses_atr = True  # type: ignore[attr-defined]
    h = make_harness(strategy)
    h.engine.track_atr("NSE:TEST")
    for _ in range(16):
        h.bar(100, 101, 99, 100)  # true range 2 every bar: ATR(14) = 2
    h.bar(100, 101, 99, 100)
    legs = {o.role: o for o in h.working()}
    assert legs["stop"].trigger_price == Decimal("96.00")
    assert legs["target"].price == Decimal("130.00")


def test_risk_sizing_uses_the_stop_distance() -> None:
    strategy = Scripted({0: lambda ctx: ctx.buy(stop_loss=points(5))})
    h = make_harness(strategy, risk={"risk_per_trade_pct": 0.5})
    h.bar(100, 100, 100, 100)
    entry = h.engine.orders.get("SB000001")
    assert entry is not None
    assert entry.quantity == 1000  # 0.5% of 10 lakh = 5,000 at ₹5 a share
