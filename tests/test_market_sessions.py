"""Session times in IST: open/closed, square-off and the phase of the day."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from scalpbot.domain import IST, ConfigError, Exchange, Instrument, InstrumentType
from scalpbot.market import (
    CalendarRangeError,
    SessionTimes,
    TradingCalendar,
    get_calendar,
    is_after_square_off,
    is_market_open,
    phase,
    session_times,
    square_off_time,
)

NSE_CAL = get_calendar(Exchange.NSE)
RELIANCE = Instrument(Exchange.NSE, "RELIANCE", tick_size=Decimal("0.05"))
NIFTY_FUT = Instrument(Exchange.NFO, "NIFTY25JUNFUT", InstrumentType.FUT, lot_size=75)
NIFTY_CE = Instrument(Exchange.NFO, "NIFTY25JUN25000CE", InstrumentType.CE, lot_size=75)
TRADING_DAY = date(2025, 6, 2)  # a Monday


def ist(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=IST)


def test_equity_and_fno_session_times() -> None:
    for exchange in (Exchange.NSE, Exchange.BSE):
        times = session_times(exchange)
        assert (times.pre_open, times.open, times.close) == (time(9), time(9, 15), time(15, 30))
        assert times.square_off == time(15, 20)
    for exchange in (Exchange.NFO, Exchange.BFO):
        assert session_times(exchange).square_off == time(15, 25)
        assert session_times(exchange).open == time(9, 15)


def test_commodity_and_currency_session_times() -> None:
    mcx, cds = session_times("MCX"), session_times(Exchange.CDS)
    assert (mcx.open, mcx.close, mcx.square_off) == (time(9), time(23, 30), time(23, 5))
    assert (cds.pre_open, cds.open, cds.close, cds.square_off) == (
        None,
        time(9),
        time(17),
        time(16, 45),
    )


def test_session_times_are_frozen_and_checked() -> None:
    times = session_times(Exchange.NSE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        times.close = time(16)  # type: ignore[misc]
    with pytest.raises(ConfigError, match="out of order"):
        SessionTimes(Exchange.NSE, time(9), time(9, 15), time(15, 30), time(15, 45))


def test_unknown_exchange_is_named() -> None:
    with pytest.raises(ConfigError, match="'LSE'"):
        session_times("LSE")


def test_market_open_within_the_normal_session_only() -> None:
    assert not is_market_open(RELIANCE, ist(TRADING_DAY, 9, 14, 59), NSE_CAL)
    assert is_market_open(RELIANCE, ist(TRADING_DAY, 9, 15), NSE_CAL)
    assert is_market_open(Exchange.NSE, ist(TRADING_DAY, 15, 29, 59), NSE_CAL)
    assert not is_market_open("NSE", ist(TRADING_DAY, 15, 30), NSE_CAL)


def test_market_closed_on_holidays_and_weekends() -> None:
    assert not is_market_open(RELIANCE, ist(date(2025, 8, 15), 11), NSE_CAL)
    assert not is_market_open(RELIANCE, ist(date(2025, 6, 7), 11), NSE_CAL)


def test_aware_datetimes_are_converted_and_naive_ones_are_ist() -> None:
    assert is_market_open(RELIANCE, datetime(2025, 6, 2, 4, 0, tzinfo=UTC), NSE_CAL)  # 09:30
    assert not is_market_open(RELIANCE, datetime(2025, 6, 2, 10, 5, tzinfo=UTC), NSE_CAL)
    assert is_market_open(RELIANCE, datetime(2025, 6, 2, 10, 5), NSE_CAL)
    new_york = timezone(timedelta(hours=-4))
    # 23:50 on 1 June in New York is 09:20 on 2 June in India.
    assert is_market_open(RELIANCE, datetime(2025, 6, 1, 23, 50, tzinfo=new_york), NSE_CAL)


def test_muhurat_day_is_open_only_in_its_special_session() -> None:
    muhurat = date(2025, 10, 21)
    assert not is_market_open(RELIANCE, ist(muhurat, 10), NSE_CAL)
    assert is_market_open(RELIANCE, ist(muhurat, 14), NSE_CAL)
    assert not is_market_open(RELIANCE, ist(muhurat, 14, 45), NSE_CAL)
    assert phase(Exchange.NSE, ist(muhurat, 13, 30)) == "pre_open"
    assert phase(Exchange.NSE, ist(muhurat, 10)) == "closed"
    assert square_off_time(RELIANCE, muhurat, NSE_CAL) == time(14, 35)
    assert square_off_time(NIFTY_FUT, muhurat, NSE_CAL) == time(14, 40)


def test_square_off_times_by_instrument() -> None:
    assert square_off_time(RELIANCE) == time(15, 20)
    assert square_off_time(NIFTY_FUT) == time(15, 25)
    assert square_off_time(NIFTY_CE) == time(15, 25)
    # A future whose data file says "NSE" still trades on the F&O segment.
    listed_as_nse = Instrument(Exchange.NSE, "NIFTYFUT", InstrumentType.FUT)
    assert square_off_time(listed_as_nse) == time(15, 25)
    assert square_off_time(Exchange.BSE) == time(15, 20)


def test_after_square_off() -> None:
    assert not is_after_square_off(RELIANCE, ist(TRADING_DAY, 15, 19, 59))
    assert is_after_square_off(RELIANCE, ist(TRADING_DAY, 15, 20))
    assert not is_after_square_off(NIFTY_FUT, ist(TRADING_DAY, 15, 24, 59))
    assert is_after_square_off(NIFTY_FUT, ist(TRADING_DAY, 15, 25))
    assert is_after_square_off(RELIANCE, datetime(2025, 6, 2, 9, 50, tzinfo=UTC))  # 15:20 IST


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ((8, 59, 59), "closed"),
        ((9, 0, 0), "pre_open"),
        ((9, 14, 59), "pre_open"),
        ((9, 15, 0), "open"),
        ((15, 29, 59), "open"),
        ((15, 30, 0), "post_close"),
        ((23, 0, 0), "post_close"),
    ],
)
def test_phase_through_a_trading_day(moment: tuple[int, int, int], expected: str) -> None:
    assert phase(Exchange.NSE, ist(TRADING_DAY, *moment)) == expected
    assert phase(Exchange.NFO, ist(TRADING_DAY, *moment), NSE_CAL) == expected


def test_phase_is_closed_all_day_on_a_holiday() -> None:
    for hour in (9, 12, 16):
        assert phase(Exchange.BSE, ist(date(2025, 10, 2), hour)) == "closed"


def test_mcx_and_cds_need_a_calendar_given_to_them() -> None:
    with pytest.raises(ConfigError, match="MCX"):
        phase(Exchange.MCX, ist(TRADING_DAY, 12))
    calendar = TradingCalendar("MCX-DEMO", [], date(2025, 1, 1), date(2025, 12, 31))
    assert phase(Exchange.MCX, ist(TRADING_DAY, 8, 50), calendar) == "pre_open"
    assert phase(Exchange.MCX, ist(TRADING_DAY, 23, 29), calendar) == "open"
    assert phase(Exchange.MCX, ist(TRADING_DAY, 23, 30), calendar) == "post_close"
    assert phase(Exchange.CDS, ist(TRADING_DAY, 8, 59), calendar) == "closed"
    assert is_market_open(Exchange.CDS, ist(TRADING_DAY, 16, 59), calendar)


def test_moments_beyond_the_calendar_fail_loudly() -> None:
    with pytest.raises(CalendarRangeError, match="2027-06-01"):
        is_market_open(RELIANCE, ist(date(2027, 6, 1), 10), NSE_CAL)


def test_a_date_is_not_a_moment() -> None:
    with pytest.raises(ConfigError, match="datetime"):
        is_market_open(RELIANCE, TRADING_DAY, NSE_CAL)  # type: ignore[arg-type]
