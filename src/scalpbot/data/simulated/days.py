"""Which days the simulated market trades and when: NSE's calendar, or Mon–Fri beyond it.

The simulation follows the NSE holiday calendar (`market.calendar`) and session hours
(`market.sessions`; a special session such as Muhurat trading keeps its own hours). That
calendar only knows the years pandas-market-calendars has holiday lists for and raises
`CalendarRangeError` outside them. A demo must still run then, so outside the covered years the
simulation falls back to every Monday–Friday at the regular 09:15–15:30 IST and says so once in
the log: those days may include holidays the exchange will not trade on.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from scalpbot.domain import IST, Exchange
from scalpbot.domain.market_data import datetime_to_ns
from scalpbot.market import CalendarRangeError, TradingCalendar, day_hours, get_calendar

log = logging.getLogger(__name__)

_warned = False


def _warn_fallback(day: date, error: CalendarRangeError) -> None:
    global _warned
    if not _warned:
        _warned = True
        log.warning(
            "simulated market: %s; treating every Monday-Friday as an NSE trading day "
            "09:15-15:30 IST from %s on (holidays are not known there)",
            error,
            day,
        )


class SessionDays:
    """Trading days and session times of the simulated NSE market (see the module docstring)."""

    def __init__(self, calendar: TradingCalendar | None = None) -> None:
        self._calendar = calendar if calendar is not None else get_calendar(Exchange.NSE)

    def hours(self, day: date) -> tuple[time, time] | None:
        """(open, close) IST of `day`'s continuous session, or None if NSE does not trade."""
        try:
            return day_hours(Exchange.NSE, day, self._calendar)
        except CalendarRangeError as error:
            _warn_fallback(day, error)
            return (time(9, 15), time(15, 30)) if day.weekday() < 5 else None

    def session_ns(self, day: date) -> tuple[int, int] | None:
        """(open, close) of `day`'s session as epoch nanoseconds, or None on a closed day."""
        hours = self.hours(day)
        if hours is None:
            return None
        return (
            datetime_to_ns(datetime.combine(day, hours[0], IST)),
            datetime_to_ns(datetime.combine(day, hours[1], IST)),
        )

    def next_trading_day(self, day: date) -> date:
        """The first day after `day` with a session."""
        day += timedelta(days=1)
        while self.hours(day) is None:
            day += timedelta(days=1)
        return day

    def previous_trading_day(self, day: date) -> date:
        """The last day before `day` with a session."""
        day -= timedelta(days=1)
        while self.hours(day) is None:
            day -= timedelta(days=1)
        return day

    def at_or_before(self, day: date) -> date:
        """`day` itself if it has a session, else the trading day before it."""
        return day if self.hours(day) is not None else self.previous_trading_day(day)
