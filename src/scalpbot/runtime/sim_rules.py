"""Session rules for the simulated market: its own trading days and hours.

The simulated feed falls back to Monday–Friday when the exchange calendar does not cover a
year; the risk checks and the square-off on that market must use the same days, or a demo run
in a year the calendar does not know yet would refuse every order.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from scalpbot.data.simulated.days import SessionDays
from scalpbot.domain import Instrument, ns_to_datetime
from scalpbot.engine.session_rules import SessionRules
from scalpbot.market.sessions import session_times


def _gap_before_close(instrument: Instrument) -> timedelta:
    times = session_times(instrument)
    today = date(2000, 1, 3)
    return datetime.combine(today, times.close) - datetime.combine(today, times.square_off)


def simulated_session_rules(days: SessionDays | None = None) -> SessionRules:
    days = days or SessionDays()

    def is_open(instrument: Instrument, ts_ns: int) -> bool:
        moment = ns_to_datetime(ts_ns)
        hours = days.hours(moment.date())
        return hours is not None and hours[0] <= moment.time().replace(tzinfo=None) < hours[1]

    def after_square_off(instrument: Instrument, ts_ns: int) -> bool:
        moment = ns_to_datetime(ts_ns)
        hours = days.hours(moment.date())
        if hours is None:
            return False
        cutoff = datetime.combine(moment.date(), hours[1]) - _gap_before_close(instrument)
        return moment.replace(tzinfo=None) >= cutoff

    return SessionRules(is_open, after_square_off)
