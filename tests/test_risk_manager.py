"""The pre-trade risk manager: each rule refuses at its boundary with its code and allows just
inside it; exits bypass the entry rules; halts and the circuit breaker stop entries only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from scalpbot.domain import (
    Exchange,
    Instrument,
    Order,
    OrderType,
    Product,
    Side,
    datetime_to_ns,
)
from scalpbot.engine.risk import RiskManager, RiskRejection
from scalpbot.engine.risk_settings import RiskSettings
from scalpbot.engine.session_rules import SessionRule

D = Decimal
CAPITAL = D(100_000)
NOW = datetime_to_ns(datetime(2025, 1, 6, 10, 0))  # a Monday, 10:00 IST
LAST = D(100)
STOCK = Instrument(Exchange.NSE, "INFY")
OTHER = Instrument(Exchange.NSE, "TCS")


@dataclass
class Book:
    """A small real PortfolioView: positions by key and the three equity figures."""

    positions: dict[str, int] = field(default_factory=dict)
    current_equity: Decimal = CAPITAL
    day_start_equity: Decimal = CAPITAL
    peak_equity: Decimal = CAPITAL

    def position_quantity(self, instrument_key: str) -> int:
        return self.positions.get(instrument_key, 0)

    def open_position_count(self) -> int:
        return sum(1 for quantity in self.positions.values() if quantity)

    def equity(self) -> Decimal:
        return self.current_equity


def always(answer: bool) -> SessionRule:
    return lambda instrument, ts_ns: answer


def settings(**limits: Any) -> RiskSettings:
    """Settings with every rule off except the ones a test names."""
    base: dict[str, Any] = {
        "capital": CAPITAL,
        "price_band_pct": None,
        "enforce_market_hours": False,
        "enforce_square_off": False,
        "max_orders_per_second": 1_000,
    }
    base.update(limits)
    return RiskSettings(**base)


def order(
    side: Side = Side.BUY,
    quantity: int = 10,
    *,
    instrument: Instrument = STOCK,
    order_type: OrderType = OrderType.MARKET,
    price: Decimal | None = None,
    trigger: Decimal | None = None,
    product: Product = Product.MIS,
) -> Order:
    return Order(
        "T1", instrument, side, quantity, order_type, product, price=price, trigger_price=trigger
    )


def limit(side: Side, quantity: int, price: str) -> Order:
    return order(side, quantity, order_type=OrderType.LIMIT, price=D(price))


@dataclass(frozen=True)
class Scenario:
    """The state a check sees and the order it judges."""

    order: Order
    positions: dict[str, int] = field(default_factory=dict)
    equity: Decimal = CAPITAL
    peak: Decimal = CAPITAL
    losses: int = 0
    halted: bool = False
    market_open: bool = True
    after_square_off: bool = False
    last: Decimal | None = LAST


def judge(limits: dict[str, Any], scenario: Scenario) -> RiskRejection | None:
    book = Book(dict(scenario.positions), scenario.equity, CAPITAL, scenario.peak)
    risk = RiskManager(
        settings(**limits),
        book,
        is_market_open=always(scenario.market_open),
        is_after_square_off=always(scenario.after_square_off),
    )
    for _ in range(scenario.losses):
        risk.record_closed_trade(D(-1))
    if scenario.halted:
        risk.halt("emergency stop")
    return risk.check(scenario.order, NOW, scenario.last)


# (code, limits, refused at the boundary, allowed just inside it)
BOUNDARIES = [
    pytest.param(
        "max_open_positions",
        {"max_open_positions": 2},
        Scenario(order(instrument=STOCK), positions={"NSE:A": 5, "NSE:B": -5}),
        Scenario(order(instrument=STOCK), positions={"NSE:A": 5}),
        id="max_open_positions",
    ),
    pytest.param(
        "max_order_quantity",
        {"max_order_quantity": 100},
        Scenario(order(quantity=101)),
        Scenario(order(quantity=100)),
        id="max_order_quantity",
    ),
    pytest.param(
        "max_order_value",
        {"max_order_value": D(10_000)},
        Scenario(limit(Side.BUY, 100, "100.05")),
        Scenario(limit(Side.BUY, 100, "100")),
        id="max_order_value-limit-price",
    ),
    pytest.param(
        "max_order_value",
        {"max_order_value": D(10_000)},
        Scenario(order(quantity=100), last=D("100.01")),
        Scenario(order(quantity=100), last=D("100.00")),
        id="max_order_value-market-at-last-price",
    ),
    pytest.param(
        "max_order_value",
        {"max_order_value": D(10_000)},
        Scenario(order(quantity=50, order_type=OrderType.SL_M, trigger=D("200.05"))),
        Scenario(order(quantity=50, order_type=OrderType.SL_M, trigger=D("200"))),
        id="max_order_value-stop-market-at-trigger",
    ),
    pytest.param(
        "daily_loss_limit",
        {"daily_loss_limit": D(1_000)},
        Scenario(order(), equity=CAPITAL - D(1_000)),
        Scenario(order(), equity=CAPITAL - D("999.99")),
        id="daily_loss_limit",
    ),
    pytest.param(
        "daily_loss_limit_pct",
        {"daily_loss_limit_pct": 1.5},
        Scenario(order(), equity=CAPITAL - D(1_500)),
        Scenario(order(), equity=CAPITAL - D("1499.99")),
        id="daily_loss_limit_pct",
    ),
    pytest.param(
        "max_drawdown",
        {"max_drawdown_pct": 10.0},
        Scenario(order(), peak=D(120_000), equity=D(108_000)),
        Scenario(order(), peak=D(120_000), equity=D("108000.01")),
        id="max_drawdown",
    ),
    pytest.param(
        "circuit_breaker",
        {"max_consecutive_losses": 3},
        Scenario(order(), losses=3),
        Scenario(order(), losses=2),
        id="circuit_breaker",
    ),
    pytest.param(
        "price_band",
        {"price_band_pct": 5.0},
        Scenario(limit(Side.BUY, 10, "105.01")),
        Scenario(limit(Side.BUY, 10, "105")),
        id="price_band-above",
    ),
    pytest.param(
        "price_band",
        {"price_band_pct": 5.0},
        Scenario(limit(Side.SELL, 10, "94.99")),
        Scenario(limit(Side.SELL, 10, "95")),
        id="price_band-below",
    ),
    pytest.param(
        "market_closed",
        {"enforce_market_hours": True},
        Scenario(order(), market_open=False),
        Scenario(order(), market_open=True),
        id="market_closed",
    ),
    pytest.param(
        "after_square_off",
        {"enforce_square_off": True},
        Scenario(order(), after_square_off=True),
        Scenario(order(), after_square_off=False),
        id="after_square_off",
    ),
    pytest.param(
        "halted",
        {},
        Scenario(order(), halted=True),
        Scenario(order(), halted=False),
        id="halted",
    ),
]


@pytest.mark.parametrize(("code", "limits", "refused", "allowed"), BOUNDARIES)
def test_each_rule_refuses_at_its_boundary_and_allows_inside(
    code: str, limits: dict[str, Any], refused: Scenario, allowed: Scenario
) -> None:
    rejection = judge(limits, refused)
    assert rejection is not None
    assert rejection.code == code
    assert rejection.message
    assert judge(limits, allowed) is None


def test_messages_carry_the_numbers() -> None:
    rejection = judge(
        {"max_open_positions": 3},
        Scenario(order(), positions={"NSE:A": 1, "NSE:B": 1, "NSE:C": 1}),
    )
    assert rejection == RiskRejection("max_open_positions", "max open positions reached: 3 of 3")
    loss = judge({"daily_loss_limit": D(1_000)}, Scenario(order(), equity=D(98_500)))
    assert loss is not None
    assert "-1500.00" in loss.message
    assert "-1000.00" in loss.message
    assert str(loss).startswith("daily_loss_limit: ")


def test_adding_to_an_open_position_does_not_count_as_a_new_one() -> None:
    full = {"NSE:A": 1, STOCK.key: 10}
    assert judge({"max_open_positions": 2}, Scenario(order(Side.BUY, 5), positions=full)) is None


def test_market_order_without_a_price_cannot_be_valued() -> None:
    rejection = judge({"max_order_value": D(10_000)}, Scenario(order(quantity=1), last=None))
    assert rejection is not None
    assert rejection.code == "max_order_value"
    assert "no last price" in rejection.message


def test_price_band_ignores_stop_triggers_and_market_orders() -> None:
    far_stop = order(Side.SELL, 10, order_type=OrderType.SL_M, trigger=D(80))
    assert judge({"price_band_pct": 5.0}, Scenario(far_stop)) is None
    assert judge({"price_band_pct": 5.0}, Scenario(order())) is None
    sl_far_price = order(Side.SELL, 10, order_type=OrderType.SL, price=D(80), trigger=D(81))
    rejection = judge({"price_band_pct": 5.0}, Scenario(sl_far_price))
    assert rejection is not None
    assert rejection.code == "price_band"


def test_price_band_without_a_last_price_refuses_entries_not_exits() -> None:
    entry = Scenario(limit(Side.BUY, 10, "100"), last=None)
    rejection = judge({"price_band_pct": 5.0}, entry)
    assert rejection is not None
    assert rejection.code == "price_band"
    exit_ = Scenario(limit(Side.SELL, 10, "100"), positions={STOCK.key: 10}, last=None)
    assert judge({"price_band_pct": 5.0}, exit_) is None


def test_square_off_applies_to_mis_entries_only() -> None:
    delivery = Scenario(order(product=Product.CNC), after_square_off=True)
    assert judge({"enforce_square_off": True}, delivery) is None


# Every entry-only rule that can block an order in a held instrument, tripped, with a long of
# 10 held. (The position cap never blocks one: only a new instrument adds to the count.)
ENTRY_RULES = [
    pytest.param({"max_order_quantity": 1}, {}, id="quantity"),
    pytest.param({"max_order_value": D(1)}, {}, id="value"),
    pytest.param({"daily_loss_limit": D(100)}, {"equity": D(50_000)}, id="daily_loss"),
    pytest.param({"daily_loss_limit_pct": 1.0}, {"equity": D(50_000)}, id="daily_loss_pct"),
    pytest.param({"max_drawdown_pct": 5.0}, {"equity": D(50_000)}, id="drawdown"),
    pytest.param({"max_consecutive_losses": 1}, {"losses": 1}, id="circuit_breaker"),
    pytest.param({}, {"halted": True}, id="halted"),
    pytest.param({"enforce_square_off": True}, {"after_square_off": True}, id="square_off"),
]


@pytest.mark.parametrize(("limits", "state"), ENTRY_RULES)
def test_exits_bypass_entry_rules(limits: dict[str, Any], state: dict[str, Any]) -> None:
    positions = {STOCK.key: 10}
    entry = Scenario(order(Side.BUY, 5), positions=positions, **state)
    blocked = judge(limits, entry)
    assert blocked is not None, "the rule must be tripped for the bypass to mean anything"
    partial_exit = Scenario(order(Side.SELL, 5), positions=positions, **state)
    full_exit = Scenario(order(Side.SELL, 10), positions=positions, **state)
    assert judge(limits, partial_exit) is None
    assert judge(limits, full_exit) is None
    # Selling more than is held reverses the position: that is an entry and stays blocked.
    reversal = Scenario(order(Side.SELL, 11), positions=positions, **state)
    assert judge(limits, reversal) is not None


def test_exits_of_a_short_position_bypass_too() -> None:
    short = {STOCK.key: -10}
    cover = Scenario(order(Side.BUY, 10), positions=short, halted=True)
    assert judge({}, cover) is None
    add = Scenario(order(Side.SELL, 1), positions=short, halted=True)
    rejection = judge({}, add)
    assert rejection is not None
    assert rejection.code == "halted"


def test_exits_still_respect_market_hours_and_price_band() -> None:
    held = {STOCK.key: 10}
    closed = judge(
        {"enforce_market_hours": True},
        Scenario(order(Side.SELL, 10), positions=held, market_open=False),
    )
    assert closed is not None
    assert closed.code == "market_closed"
    banded = judge({"price_band_pct": 5.0}, Scenario(limit(Side.SELL, 10, "120"), positions=held))
    assert banded is not None
    assert banded.code == "price_band"


def test_is_exit_judges_side_and_size_against_the_position() -> None:
    risk = RiskManager(settings(), Book(positions={STOCK.key: 10}))
    assert risk.is_exit(order(Side.SELL, 10))
    assert not risk.is_exit(order(Side.SELL, 11))
    assert not risk.is_exit(order(Side.BUY, 1))
    assert not risk.is_exit(order(Side.SELL, 1, instrument=OTHER))


# -- halts and the circuit breaker ------------------------------------------------------------
def test_halt_and_resume() -> None:
    risk = RiskManager(settings(), Book())
    assert not risk.halted
    assert risk.halt_reason is None
    risk.halt("emergency stop")
    assert risk.halted
    assert risk.halt_reason == "emergency stop"
    rejection = risk.check(order(), NOW, LAST)
    assert rejection is not None
    assert rejection.code == "halted"
    assert "emergency stop" in rejection.message
    risk.resume_entries()
    assert not risk.halted
    assert risk.check(order(), NOW, LAST) is None


def test_halt_needs_a_reason() -> None:
    risk = RiskManager(settings(), Book())
    with pytest.raises(ValueError, match="reason"):
        risk.halt("  ")


def test_circuit_breaker_counts_consecutive_losses_and_a_win_resets() -> None:
    risk = RiskManager(settings(max_consecutive_losses=3), Book())
    risk.record_closed_trade(D(-10))
    risk.record_closed_trade(D(-10))
    risk.record_closed_trade(D("0.01"))  # a win ends the run
    assert risk.consecutive_losses == 0
    risk.record_closed_trade(D(-10))
    risk.record_closed_trade(D(0))  # a scratch trade neither extends nor ends it
    risk.record_closed_trade(D(-10))
    assert risk.consecutive_losses == 2
    assert risk.check(order(), NOW, LAST) is None
    risk.record_closed_trade(D(-10))
    assert risk.circuit_breaker_tripped
    assert risk.halted
    assert risk.halt_reason == "circuit breaker tripped after 3 losing trades in a row"
    rejection = risk.check(order(), NOW, LAST)
    assert rejection is not None
    assert rejection.code == "circuit_breaker"
    # A win after tripping does not re-open entries: only a reset does.
    risk.record_closed_trade(D(50))
    assert risk.check(order(), NOW, LAST) is not None
    risk.reset_circuit_breaker()
    assert risk.consecutive_losses == 0
    assert not risk.halted
    assert risk.check(order(), NOW, LAST) is None


def test_resume_lifts_the_circuit_breaker_and_restarts_the_count() -> None:
    risk = RiskManager(settings(max_consecutive_losses=2), Book())
    risk.record_closed_trade(D(-1))
    risk.record_closed_trade(D(-1))
    assert risk.halted
    risk.resume_entries()
    assert not risk.halted
    risk.record_closed_trade(D(-1))
    assert not risk.halted


def test_a_manual_halt_outlives_a_breaker_reset_and_a_new_day() -> None:
    risk = RiskManager(settings(max_consecutive_losses=1), Book())
    risk.halt("kill switch")
    risk.record_closed_trade(D(-1))
    assert risk.halt_reason == "kill switch"
    risk.reset_circuit_breaker()
    risk.start_day()
    rejection = risk.check(order(), NOW, LAST)
    assert rejection is not None
    assert rejection.code == "halted"


def test_start_day_resets_the_breaker_and_the_latched_loss_stop() -> None:
    book = Book()
    risk = RiskManager(settings(daily_loss_limit=D(1_000), max_consecutive_losses=2), book)
    book.current_equity = CAPITAL - D(1_200)
    first = risk.check(order(), NOW, LAST)
    assert first is not None
    assert first.code == "daily_loss_limit"
    # Open positions recover, but the day that hit its limit stays stopped.
    book.current_equity = CAPITAL
    assert risk.check(order(), NOW, LAST) == first
    risk.record_closed_trade(D(-1))
    risk.record_closed_trade(D(-1))
    assert risk.circuit_breaker_tripped
    book.day_start_equity = book.current_equity  # the portfolio resets its own day
    risk.start_day()
    assert risk.consecutive_losses == 0
    assert not risk.halted
    assert risk.check(order(), NOW, LAST) is None


def test_record_closed_trade_refuses_a_non_decimal() -> None:
    risk = RiskManager(settings(), Book())
    with pytest.raises(ValueError, match="net_pnl"):
        risk.record_closed_trade(-5.0)  # type: ignore[arg-type]


# -- settings at runtime and status -----------------------------------------------------------
def test_update_settings_applies_new_limits() -> None:
    risk = RiskManager(settings(max_order_quantity=5, max_consecutive_losses=1), Book())
    risk.record_closed_trade(D(-1))
    assert risk.circuit_breaker_tripped
    risk.update_settings(settings(max_order_quantity=50, max_consecutive_losses=3))
    assert risk.settings.max_order_quantity == 50
    assert not risk.circuit_breaker_tripped  # one loss no longer trips a limit of three
    assert risk.check(order(quantity=20), NOW, LAST) is None
    with pytest.raises(ValueError, match="RiskSettings"):
        risk.update_settings({"capital": 1})  # type: ignore[arg-type]


def test_status_is_json_and_shows_usage() -> None:
    book = Book(positions={"NSE:A": 5}, current_equity=D(99_400), peak_equity=D(101_000))
    risk = RiskManager(
        settings(
            daily_loss_limit=D(2_000),
            daily_loss_limit_pct=1.0,
            max_open_positions=3,
            max_consecutive_losses=4,
        ),
        book,
    )
    risk.record_closed_trade(D(-3))
    assert risk.check(order(), NOW, LAST) is None
    status = json.loads(json.dumps(risk.status()))
    assert status["halted"] is False
    assert status["circuit_breaker"] == {"consecutive_losses": 1, "limit": 4, "tripped": False}
    assert status["limits"]["daily_loss_limit"] == 2000.0
    assert status["limits"]["max_open_positions"] == 3
    usage = status["usage"]
    assert usage["open_positions"] == 1
    assert usage["day_pnl"] == -600.0
    assert usage["daily_loss_limit"] == 1000.0  # the tighter of ₹2,000 and 1% of ₹1,00,000
    assert usage["drawdown_pct"] == pytest.approx(1600 / 1010)
    assert usage["orders_last_second"] == {"NSE": 1}
    risk.halt("manual")
    assert risk.status()["halt_reason"] == "manual"
