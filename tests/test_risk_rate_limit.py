"""Order-rate limiting on the engine clock: a sliding one-second window per exchange."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from scalpbot.domain import Exchange, Instrument, InstrumentType, Order, Side, datetime_to_ns
from scalpbot.engine.rate_limit import NS_PER_SECOND, SlidingWindowLimiter
from scalpbot.engine.risk import RiskManager
from scalpbot.engine.risk_settings import RiskSettings

START = datetime_to_ns(datetime(2025, 1, 6, 10, 0))
MS = 1_000_000
EQUITY = Instrument(Exchange.NSE, "INFY")
FUTURE = Instrument(Exchange.NFO, "NIFTY25JANFUT", InstrumentType.FUT, lot_size=75)


class FlatBook:
    """A real PortfolioView of an account with no positions (every order is an entry)."""

    day_start_equity = Decimal(100_000)
    peak_equity = Decimal(100_000)

    def position_quantity(self, instrument_key: str) -> int:
        return 0

    def open_position_count(self) -> int:
        return 0

    def equity(self) -> Decimal:
        return Decimal(100_000)


def manager(per_second: int = 10) -> RiskManager:
    settings = RiskSettings(
        capital=Decimal(100_000),
        max_orders_per_second=per_second,
        enforce_market_hours=False,
        enforce_square_off=False,
    )
    return RiskManager(settings, FlatBook())


def buy(instrument: Instrument = EQUITY, quantity: int = 1) -> Order:
    return Order("R1", instrument, Side.BUY, quantity)


def test_ten_in_a_second_pass_the_eleventh_is_refused_then_allowed_after_the_window() -> None:
    risk = manager(10)
    for i in range(10):
        assert risk.check(buy(), START + i * 90 * MS, Decimal(100)) is None
    eleventh = risk.check(buy(), START + 999 * MS, Decimal(100))
    assert eleventh is not None
    assert eleventh.code == "order_rate"
    assert "NSE" in eleventh.message
    # The first order (at START) leaves the window exactly one second later.
    assert risk.check(buy(), START + NS_PER_SECOND - 1, Decimal(100)) is not None
    assert risk.check(buy(), START + NS_PER_SECOND, Decimal(100)) is None


def test_limit_is_per_exchange() -> None:
    risk = manager(10)
    for _ in range(10):
        assert risk.check(buy(EQUITY), START, Decimal(100)) is None
    assert risk.check(buy(EQUITY), START, Decimal(100)) is not None
    for _ in range(10):
        assert risk.check(buy(FUTURE, 75), START, Decimal(100)) is None
    refused = risk.check(buy(FUTURE, 75), START, Decimal(100))
    assert refused is not None
    assert refused.code == "order_rate"
    assert "NFO" in refused.message


def test_refused_orders_do_not_use_up_the_rate() -> None:
    settings = RiskSettings(
        capital=Decimal(100_000),
        max_orders_per_second=2,
        max_order_quantity=5,
        enforce_market_hours=False,
        enforce_square_off=False,
    )
    risk = RiskManager(settings, FlatBook())
    for _ in range(5):
        too_big = risk.check(buy(quantity=6), START, Decimal(100))
        assert too_big is not None
        assert too_big.code == "max_order_quantity"
    assert risk.check(buy(), START, Decimal(100)) is None
    assert risk.check(buy(), START, Decimal(100)) is None
    over = risk.check(buy(), START, Decimal(100))
    assert over is not None
    assert over.code == "order_rate"


def test_raising_the_limit_at_runtime_keeps_the_count() -> None:
    risk = manager(2)
    assert risk.check(buy(), START, Decimal(100)) is None
    assert risk.check(buy(), START, Decimal(100)) is None
    assert risk.check(buy(), START, Decimal(100)) is not None
    risk.update_settings(
        RiskSettings(
            capital=Decimal(100_000),
            max_orders_per_second=3,
            enforce_market_hours=False,
            enforce_square_off=False,
        )
    )
    assert risk.check(buy(), START, Decimal(100)) is None
    assert risk.check(buy(), START, Decimal(100)) is not None


# -- the limiter on its own -------------------------------------------------------------------
def test_limiter_slides_rather_than_resetting_on_whole_seconds() -> None:
    limiter = SlidingWindowLimiter(3)
    for ts in (900 * MS, 950 * MS, 999 * MS):
        assert limiter.try_acquire("NSE", ts)
    # A fixed window would reset at 1.000 s; a sliding one keeps all three until 1.900 s.
    assert not limiter.allows("NSE", 1_000 * MS)
    assert not limiter.allows("NSE", 1_899 * MS)
    assert limiter.count("NSE", 1_900 * MS) == 2
    assert limiter.try_acquire("NSE", 1_900 * MS)
    assert limiter.snapshot(1_900 * MS) == {"NSE": 3}
    assert limiter.snapshot(10 * NS_PER_SECOND) == {}


def test_limiter_custom_window_and_keys() -> None:
    limiter = SlidingWindowLimiter(1, window_ns=200 * MS)
    assert limiter.try_acquire("A", 0)
    assert limiter.try_acquire("B", 0)
    assert not limiter.try_acquire("A", 199 * MS)
    assert limiter.try_acquire("A", 200 * MS)


@pytest.mark.parametrize("bad", [0, -1, True, 2.5])
def test_limiter_refuses_a_bad_limit(bad: object) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        SlidingWindowLimiter(bad)  # type: ignore[arg-type]
    limiter = SlidingWindowLimiter(1)
    with pytest.raises(ValueError, match="rate limit"):
        limiter.limit = bad  # type: ignore[assignment]


def test_limiter_refuses_a_bad_window() -> None:
    with pytest.raises(ValueError, match="window"):
        SlidingWindowLimiter(5, window_ns=0)
