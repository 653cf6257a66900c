"""When a market is open and when its MIS square-off has passed: the rules the risk checks
and the scheduler ask, as (instrument, epoch-ns) predicates.

The defaults follow the exchange calendar and `market.sessions`; a session on a simulated
market passes its own (`SessionRules`), so its days are judged by the days it simulates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

from scalpbot.domain import Instrument, ns_to_datetime
from scalpbot.market import sessions
from scalpbot.market.calendar import PACKAGE_CALENDARS, TradingCalendar, get_calendar

#: A session rule: given an instrument and a time (epoch ns), answer yes or no.
SessionRule = Callable[[Instrument, int], bool]


@dataclass(frozen=True, slots=True)
class SessionRules:
    """The market-hours and square-off rules one engine uses."""

    is_market_open: SessionRule
    is_after_square_off: SessionRule


def _calendar_for(instrument: Instrument) -> TradingCalendar | None:
    exchange = sessions.session_exchange(instrument)
    return get_calendar(exchange) if exchange in PACKAGE_CALENDARS else None


def market_open_at(instrument: Instrument, ts_ns: int) -> bool:
    """Default market-hours rule: the exchange calendar and session times of `market.sessions`.

    MCX and CDS have no holiday list yet, so for them any weekday within the regular session
    counts as open (the runtime injects a calendar-aware rule when it has their holidays).
    Raises `CalendarRangeError` for a date the calendar does not cover.
    """
    moment = ns_to_datetime(ts_ns)
    calendar = _calendar_for(instrument)
    if calendar is not None:
        return sessions.is_market_open(instrument, moment, calendar)
    times = sessions.session_times(instrument)
    return moment.weekday() < 5 and times.open <= _wall_time(moment) < times.close


def after_square_off_at(instrument: Instrument, ts_ns: int) -> bool:
    """Default square-off rule: `market.sessions.is_after_square_off`, special sessions
    included where the exchange calendar knows them."""
    return sessions.is_after_square_off(
        instrument, ns_to_datetime(ts_ns), _calendar_for(instrument)
    )


def _wall_time(moment: datetime) -> time:
    return moment.time().replace(tzinfo=None)


EXCHANGE_RULES = SessionRules(market_open_at, after_square_off_at)
