"""The NSE/BSE trading calendar: holidays, navigation, and loud failure outside its years."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pandas_market_calendars as pmc
import pytest

from scalpbot.domain import ConfigError, Exchange
from scalpbot.market import CalendarRangeError, TradingCalendar, get_calendar

NSE = get_calendar(Exchange.NSE)
BSE = get_calendar(Exchange.BSE)


def package_holiday_years(code: str) -> tuple[int, int]:
    years = [stamp.year for stamp in pmc.get_calendar(code).adhoc_holidays]
    return min(years), max(years)


def test_covered_range_is_the_span_of_the_packages_holiday_list() -> None:
    for calendar, code in ((NSE, "XNSE"), (BSE, "XBOM")):
        first_year, last_year = package_holiday_years(code)
        assert calendar.first == date(first_year, 1, 1)
        assert calendar.last == date(last_year, 12, 31)
    # What the package's docstrings promise: NSE 1996 through 2026, BSE 1997 through 2026.
    assert NSE.first.year <= 1996 and BSE.first.year <= 1997
    assert NSE.last.year >= 2026 and BSE.last.year >= 2026


def test_derivative_exchanges_share_their_cash_exchanges_calendar() -> None:
    assert get_calendar(Exchange.NFO) is NSE
    assert get_calendar("BFO") is BSE
    assert get_calendar("nse") is NSE
    assert NSE.name == "NSE" and BSE.name == "BSE"


@pytest.mark.parametrize("exchange", [Exchange.MCX, Exchange.CDS, "LSE"])
def test_exchanges_without_a_calendar_are_refused_by_name(exchange: Exchange | str) -> None:
    with pytest.raises(ConfigError, match=str(exchange)):
        get_calendar(exchange)


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 1, 22),  # special holiday (Ram Mandir consecration)
        date(2024, 5, 20),  # Lok Sabha election in Mumbai
        date(2025, 8, 15),  # Independence Day, a Friday
        date(2025, 10, 2),  # Gandhi Jayanti
        date(2025, 10, 22),  # Diwali Balipratipada
        date(2026, 1, 26),  # Republic Day
    ],
)
def test_exchange_holidays_are_not_trading_days(day: date) -> None:
    assert not NSE.is_trading_day(day)
    assert NSE.is_holiday(day)


def test_weekends_are_closed_but_are_not_holidays() -> None:
    saturday, sunday = date(2025, 6, 7), date(2025, 6, 8)
    assert not NSE.is_trading_day(saturday) and not NSE.is_trading_day(sunday)
    assert not NSE.is_holiday(saturday)


def test_ordinary_weekdays_and_muhurat_days_trade() -> None:
    assert NSE.is_trading_day(date(2025, 6, 2))
    assert BSE.is_trading_day(date(2025, 6, 2))
    assert NSE.is_trading_day(date(2025, 10, 21))  # Muhurat session in the evening


def test_trading_days_match_the_package_schedule_for_a_whole_year() -> None:
    for code, calendar in (("XNSE", NSE), ("XBOM", BSE)):
        expected = [
            stamp.date() for stamp in pmc.get_calendar(code).valid_days("2024-01-01", "2024-12-31")
        ]
        assert calendar.trading_days(date(2024, 1, 1), date(2024, 12, 31)) == expected
    assert len(NSE.trading_days(date(2024, 1, 1), date(2024, 12, 31))) == 246


def test_trading_days_include_both_ends_and_are_empty_when_reversed() -> None:
    days = NSE.trading_days(date(2025, 8, 14), date(2025, 8, 18))
    assert days == [date(2025, 8, 14), date(2025, 8, 18)]
    assert NSE.trading_days(date(2025, 8, 18), date(2025, 8, 14)) == []


def test_next_and_previous_trading_day_skip_holidays_and_weekends() -> None:
    assert NSE.next_trading_day(date(2025, 8, 14)) == date(2025, 8, 18)
    assert NSE.previous_trading_day(date(2025, 8, 18)) == date(2025, 8, 14)
    assert NSE.next_trading_day(date(2025, 8, 16)) == date(2025, 8, 18)  # from a Saturday
    assert NSE.previous_trading_day(date(2025, 6, 3)) == date(2025, 6, 2)


@pytest.mark.parametrize("day", [date(2027, 1, 4), date(1995, 6, 1)])
def test_dates_outside_the_known_years_fail_loudly(day: date) -> None:
    with pytest.raises(CalendarRangeError) as raised:
        NSE.is_trading_day(day)
    message = str(raised.value)
    assert str(day) in message
    assert str(NSE.first) in message and str(NSE.last) in message
    assert isinstance(raised.value, ConfigError)


def test_every_lookup_checks_the_range() -> None:
    beyond = date(NSE.last.year + 1, 3, 2)
    for lookup in (NSE.next_trading_day, NSE.previous_trading_day, NSE.is_holiday):
        with pytest.raises(CalendarRangeError):
            lookup(beyond)
    with pytest.raises(CalendarRangeError):
        NSE.trading_days(date(2026, 12, 1), beyond)
    with pytest.raises(CalendarRangeError, match="no trading day after"):
        NSE.next_trading_day(NSE.last)


def test_special_sessions_carry_their_own_hours() -> None:
    assert NSE.special_hours(date(2025, 10, 21)) == (time(13, 45), time(14, 45))
    assert NSE.special_hours(date(2024, 11, 1)) == (time(18, 0), time(19, 0))
    assert NSE.special_hours(date(2025, 6, 2)) is None


def test_a_datetime_counts_as_its_ist_day() -> None:
    # 20:00 UTC on the 14th is 01:30 IST on the 15th, Independence Day.
    assert not NSE.is_trading_day(datetime(2025, 8, 14, 20, 0, tzinfo=UTC))
    assert NSE.is_trading_day(datetime(2025, 8, 14, 12, 0))  # naive = IST


def test_a_calendar_can_be_built_from_trusted_holidays() -> None:
    calendar = TradingCalendar("DEMO", [date(2025, 1, 1)], date(2025, 1, 1), date(2025, 1, 31))
    assert not calendar.is_trading_day(date(2025, 1, 1))
    assert calendar.next_trading_day(date(2025, 1, 1)) == date(2025, 1, 2)
    assert calendar.holidays() == [date(2025, 1, 1)]
    assert len(calendar.trading_days(date(2025, 1, 1), date(2025, 1, 31))) == 22
    with pytest.raises(CalendarRangeError, match="2025-02-03"):
        calendar.is_trading_day(date(2025, 2, 3))


def test_a_backwards_range_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="DEMO"):
        TradingCalendar("DEMO", [], date(2025, 2, 1), date(2025, 1, 1))
