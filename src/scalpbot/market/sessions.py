"""Session times of Indian exchanges, in IST, and the questions a bot asks of them.

Cash equity and equity derivatives (NSE, BSE, NFO, BFO): pre-open call auction 09:00–09:15,
normal market 09:15–15:30. Brokers square off intraday (MIS) positions before the close, and
scalpbot uses Zerodha's times because exiting before the broker does is the bot's job: 15:20
for cash equity, 15:25 for F&O.

MCX: 09:00–23:30 (its pre-open is the 15 minutes before 09:00); non-agricultural contracts
trade until 23:55 while the US is on standard time (roughly November to March), which this
table does not model, so a bot stops early rather than late in those months. MIS square-off is
taken 25 minutes before close (23:05). CDS (currency derivatives): 09:00–17:00, no pre-open,
square-off 16:45. MCX and CDS have no holiday calendar yet (see `market.calendar`), so the
functions that need one take it as an argument.

Every function takes aware datetimes in any zone and converts them to IST; a naive datetime is
taken to be IST already (exchange time), as everywhere in scalpbot. Opening times are
inclusive and closing times exclusive: at 15:30:00 the market is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from scalpbot.domain import IST, ConfigError, Exchange, Instrument
from scalpbot.market.calendar import TradingCalendar, get_calendar

Phase = Literal["closed", "pre_open", "open", "post_close"]

#: How long before a special session (e.g. Muhurat trading) its pre-open starts.
SPECIAL_PRE_OPEN = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class SessionTimes:
    """One exchange's regular day, as IST wall times. `pre_open` is None where there is none."""

    exchange: Exchange
    pre_open: time | None
    open: time
    close: time
    square_off: time

    def __post_init__(self) -> None:
        start = self.pre_open or self.open
        if not start <= self.open < self.square_off <= self.close:
            raise ConfigError(
                f"{self.exchange} session times out of order: pre-open {self.pre_open}, "
                f"open {self.open}, square-off {self.square_off}, close {self.close}"
            )


_EQUITY = {"pre_open": time(9, 0), "open": time(9, 15), "close": time(15, 30)}
SESSIONS: dict[Exchange, SessionTimes] = {
    Exchange.NSE: SessionTimes(Exchange.NSE, **_EQUITY, square_off=time(15, 20)),
    Exchange.BSE: SessionTimes(Exchange.BSE, **_EQUITY, square_off=time(15, 20)),
    Exchange.NFO: SessionTimes(Exchange.NFO, **_EQUITY, square_off=time(15, 25)),
    Exchange.BFO: SessionTimes(Exchange.BFO, **_EQUITY, square_off=time(15, 25)),
    Exchange.MCX: SessionTimes(Exchange.MCX, time(8, 45), time(9, 0), time(23, 30), time(23, 5)),
    Exchange.CDS: SessionTimes(Exchange.CDS, None, time(9, 0), time(17, 0), time(16, 45)),
}

# An instrument's derivatives trade on the F&O segment whatever exchange code a data file gave.
_DERIVATIVES_OF = {Exchange.NSE: Exchange.NFO, Exchange.BSE: Exchange.BFO}


def session_exchange(target: Instrument | Exchange | str) -> Exchange:
    """The exchange whose hours apply: a future or option listed as NSE/BSE counts as NFO/BFO."""
    if isinstance(target, Instrument):
        if target.is_derivative:
            return _DERIVATIVES_OF.get(target.exchange, target.exchange)
        return target.exchange
    if isinstance(target, Exchange):
        return target
    try:
        return Exchange(str(target).strip().upper())
    except ValueError:
        allowed = ", ".join(e.value for e in Exchange)
        raise ConfigError(f"unknown exchange {target!r}; allowed: {allowed}") from None


def session_times(target: Instrument | Exchange | str) -> SessionTimes:
    """The regular session of an exchange (or of the segment an instrument trades on)."""
    return SESSIONS[session_exchange(target)]


def to_ist(moment: datetime) -> datetime:
    """`moment` in IST; a naive datetime is taken as IST already."""
    if not isinstance(moment, datetime):
        raise ConfigError(f"expected a datetime, got {moment!r}")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=IST)
    return moment.astimezone(IST)


def day_hours(
    target: Instrument | Exchange | str, day: date, calendar: TradingCalendar
) -> tuple[time, time] | None:
    """(open, close) of the continuous session on `day`, or None if the exchange is shut.

    A day the calendar marks special (Muhurat trading, an extended close) uses its own hours.
    """
    if not calendar.is_trading_day(day):
        return None
    special = calendar.special_hours(day)
    if special is not None:
        return special
    times = session_times(target)
    return times.open, times.close


def is_market_open(
    target: Instrument | Exchange | str, moment: datetime, calendar: TradingCalendar
) -> bool:
    """True on a trading day within the continuous session (pre-open does not count)."""
    local = to_ist(moment)
    hours = day_hours(target, local.date(), calendar)
    if hours is None:
        return False
    return hours[0] <= local.time().replace(tzinfo=None) < hours[1]


def square_off_time(
    target: Instrument | Exchange | str,
    day: date | None = None,
    calendar: TradingCalendar | None = None,
) -> time:
    """When intraday positions must be closed.

    Given a `day` and its `calendar`, a special session is squared off as long before its own
    close as a regular one is (10 minutes for cash equity, 5 for F&O).
    """
    times = session_times(target)
    if day is not None and calendar is not None:
        special = calendar.special_hours(day)
        if special is not None:
            lead = _minutes(times.close) - _minutes(times.square_off)
            return _from_minutes(max(_minutes(special[1]) - lead, _minutes(special[0])))
    return times.square_off


def is_after_square_off(
    target: Instrument | Exchange | str,
    moment: datetime,
    calendar: TradingCalendar | None = None,
) -> bool:
    """True from the square-off time of `moment`'s IST day onwards (until midnight)."""
    local = to_ist(moment)
    cutoff = square_off_time(target, local.date(), calendar)
    return local.time().replace(tzinfo=None) >= cutoff


def phase(
    exchange: Instrument | Exchange | str,
    moment: datetime,
    calendar: TradingCalendar | None = None,
) -> Phase:
    """Where the trading day stands at `moment`.

    "closed" on a holiday or weekend and before the pre-open; "pre_open" in the call auction;
    "open" in the continuous session; "post_close" after it on a trading day. Without a
    `calendar`, the exchange's own is used (which raises for MCX and CDS: pass one).
    """
    local = to_ist(moment)
    if calendar is None:
        calendar = get_calendar(session_exchange(exchange))
    hours = day_hours(exchange, local.date(), calendar)
    if hours is None:
        return "closed"
    now = local.time().replace(tzinfo=None)
    opens, closes = hours
    if calendar.special_hours(local.date()) is not None:
        pre_open: time | None = _from_minutes(
            max(_minutes(opens) - SPECIAL_PRE_OPEN.seconds // 60, 0)
        )
    else:
        pre_open = session_times(exchange).pre_open
    if now >= closes:
        return "post_close"
    if now >= opens:
        return "open"
    if pre_open is not None and now >= pre_open:
        return "pre_open"
    return "closed"


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _from_minutes(total: int) -> time:
    return time(total // 60, total % 60)
