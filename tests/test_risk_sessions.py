"""The risk manager's default session rules: the real NSE calendar and session times."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from scalpbot.domain import (
    Exchange,
    Instrument,
    InstrumentType,
    Order,
    OrderType,
    Side,
    datetime_to_ns,
)
from scalpbot.engine.risk import RiskManager
from scalpbot.engine.risk_settings import RiskSettings
from scalpbot.engine.session_rules import after_square_off_at, market_open_at

EQUITY = Instrument(Exchange.NSE, "INFY")
FUTURE = Instrument(Exchange.NFO, "NIFTY25JANFUT", InstrumentType.FUT, lot_size=75)
LISTED_AS_NSE_FUTURE = Instrument(Exchange.NSE, "NIFTY25JANFUT", InstrumentType.FUT, lot_size=75)
GOLD = Instrument(Exchange.MCX, "GOLDM25FEBFUT", InstrumentType.FUT)


def at(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> int:
    return datetime_to_ns(datetime(year, month, day, hour, minute, second))  # naive = IST


@pytest.mark.parametrize(
    ("instrument", "moment", "open_"),
    [
        (EQUITY, at(2025, 1, 6, 9, 14, 59), False),  # pre-open is not the normal session
        (EQUITY, at(2025, 1, 6, 9, 15), True),
        (EQUITY, at(2025, 1, 6, 15, 29, 59), True),
        (EQUITY, at(2025, 1, 6, 15, 30), False),
        (EQUITY, at(2025, 1, 4, 11, 0), False),  # Saturday
        (EQUITY, at(2025, 2, 26, 11, 0), False),  # NSE holiday (Mahashivratri)
        (FUTURE, at(2025, 1, 6, 12, 0), True),
        (GOLD, at(2025, 1, 6, 22, 0), True),  # MCX trades into the evening
        (GOLD, at(2025, 1, 6, 23, 30), False),
        (GOLD, at(2025, 1, 5, 12, 0), False),  # Sunday
    ],
)
def test_default_market_hours(instrument: Instrument, moment: int, open_: bool) -> None:
    assert market_open_at(instrument, moment) is open_


@pytest.mark.parametrize(
    ("instrument", "moment", "after"),
    [
        (EQUITY, at(2025, 1, 6, 15, 19, 59), False),
        (EQUITY, at(2025, 1, 6, 15, 20), True),
        (FUTURE, at(2025, 1, 6, 15, 20), False),
        (FUTURE, at(2025, 1, 6, 15, 25), True),
        (LISTED_AS_NSE_FUTURE, at(2025, 1, 6, 15, 24), False),  # F&O times, not cash
        (GOLD, at(2025, 1, 6, 23, 5), True),
    ],
)
def test_default_square_off(instrument: Instrument, moment: int, after: bool) -> None:
    assert after_square_off_at(instrument, moment) is after


def test_manager_with_default_rules_blocks_late_entries_but_not_exits() -> None:
    class Long:
        day_start_equity = Decimal(100_000)
        peak_equity = Decimal(100_000)

        def position_quantity(self, instrument_key: str) -> int:
            return 10 if instrument_key == EQUITY.key else 0

        def open_position_count(self) -> int:
            return 1

        def equity(self) -> Decimal:
            return Decimal(100_000)

    risk = RiskManager(RiskSettings(capital=Decimal(100_000)), Long())
    late = at(2025, 1, 6, 15, 21)
    add = risk.check(Order("A", EQUITY, Side.BUY, 5), late, Decimal(1500))
    assert add is not None
    assert add.code == "after_square_off"
    assert risk.check(Order("B", EQUITY, Side.SELL, 10), late, Decimal(1500)) is None
    closed = risk.check(Order("C", EQUITY, Side.SELL, 10), at(2025, 1, 6, 15, 31), Decimal(1500))
    assert closed is not None
    assert closed.code == "market_closed"
    limit = Order("D", EQUITY, Side.BUY, 5, OrderType.LIMIT, price=Decimal(1500))
    assert risk.check(limit, at(2025, 1, 6, 11, 0), Decimal(1500)) is None


def test_a_date_outside_the_calendar_is_refused_with_a_reason() -> None:
    class Flat:
        day_start_equity = Decimal(1)
        peak_equity = Decimal(1)

        def position_quantity(self, instrument_key: str) -> int:
            return 0

        def open_position_count(self) -> int:
            return 0

        def equity(self) -> Decimal:
            return Decimal(1)

    risk = RiskManager(RiskSettings(capital=Decimal(100_000)), Flat())
    rejection = risk.check(Order("E", EQUITY, Side.BUY, 1), at(1990, 1, 8, 11, 0), Decimal(10))
    assert rejection is not None
    assert rejection.code == "market_calendar"
    assert "1990-01-08" in rejection.message
