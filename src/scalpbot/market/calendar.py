"""Which days NSE and BSE trade: the exchange holiday calendar.

The holidays come from pandas-market-calendars, read once per exchange and kept as plain
`date` sets and a sorted list of trading-day ordinals, so a lookup during a session is a set
membership or a bisect, never a pandas call.

Coverage. The package lists exchange holidays only for the years its maintainers curated (its
docstrings: NSE "1996 through 2026", BSE "back to 1997, and forward through 2026"). Outside those
years it silently treats every weekday as a session, which would make a bot trade on Diwali of a
year nobody entered. So the covered range is taken from the package itself, as 1 January of the
first year to 31 December of the last year of the calendar's holiday list, and any lookup outside
it raises `CalendarRangeError` naming the date and the range: upgrade pandas-market-calendars
when a new year's list is published.

What the package knows beyond holidays is kept too: days whose session differs from the regular
one (NSE's evening Muhurat session on Diwali, the 2021-02-24 extended close) are returned by
`special_hours`. Known gaps of the package, not patched here: weekend special sessions (the
Saturday sessions of 2024-01-20, 2024-03-02, 2024-05-18 and the 2025-02-01 budget day) cannot be
represented and read as closed, and BSE's Muhurat sessions are listed as holidays.

BSE has its own calendar in the package ("BSE", alias "XBOM"); NFO and BFO (derivatives) follow
the calendar of their cash exchange. MCX and CDS have none there, so `get_calendar` refuses them;
a caller who has their holiday lists can build a `TradingCalendar` directly.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from functools import cache

from scalpbot.domain import IST, ConfigError, Exchange

#: The pandas-market-calendars name of each exchange's calendar (derivatives follow cash).
PACKAGE_CALENDARS: dict[Exchange, str] = {
    Exchange.NSE: "XNSE",
    Exchange.NFO: "XNSE",
    Exchange.BSE: "XBOM",
    Exchange.BFO: "XBOM",
}


class CalendarRangeError(ConfigError):
    """A date outside the years whose holidays the calendar knows; guessing would be wrong."""


class TradingCalendar:
    """Trading days of one exchange over a covered date range (weekends are never sessions).

    Build one with `TradingCalendar.from_package("XNSE")` or `get_calendar(Exchange.NSE)`, or
    directly from holiday dates you trust (e.g. for MCX):

        >>> cal = TradingCalendar("DEMO", [date(2025, 1, 1)], date(2025, 1, 1), date(2025, 12, 31))
        >>> cal.is_trading_day(date(2025, 1, 1)), cal.next_trading_day(date(2025, 1, 1))
        (False, datetime.date(2025, 1, 2))
    """

    __slots__ = ("_days", "_holidays", "_special", "first", "last", "name")

    def __init__(
        self,
        name: str,
        holidays: Iterable[date],
        first: date,
        last: date,
        special_hours: Mapping[date, tuple[time, time]] | None = None,
    ) -> None:
        if first > last:
            raise ConfigError(f"calendar {name}: covered range starts {first} after it ends {last}")
        self.name = name
        self.first = first
        self.last = last
        self._holidays = frozenset(d for d in holidays if first <= d <= last)
        self._special: dict[date, tuple[time, time]] = dict(special_hours or {})
        days: list[int] = []
        for ordinal in range(first.toordinal(), last.toordinal() + 1):
            day = date.fromordinal(ordinal)
            if day.weekday() < 5 and day not in self._holidays:
                days.append(ordinal)
        self._days = days

    @classmethod
    def from_package(cls, code: str) -> TradingCalendar:
        """Read a pandas-market-calendars calendar (e.g. "XNSE", "XBOM") once.

        The covered range is the whole calendar years spanned by the package's holiday list;
        special hours are the package's special opens/closes, as IST wall times.
        """
        import pandas_market_calendars as pmc

        try:
            source = pmc.get_calendar(code)
        except RuntimeError as exc:
            raise ConfigError(f"pandas-market-calendars has no calendar {code!r}") from exc
        holidays = sorted(_to_date(stamp) for stamp in source.adhoc_holidays)
        if not holidays:
            raise ConfigError(f"calendar {code!r} lists no holidays; its covered range is unknown")
        first = date(holidays[0].year, 1, 1)
        last = date(holidays[-1].year, 12, 31)
        special_days = {
            _to_date(day)
            for _, days in [*source.special_opens_adhoc, *source.special_closes_adhoc]
            for day in days
        }
        special: dict[date, tuple[time, time]] = {}
        if special_days:
            schedule = source.schedule(min(special_days), max(special_days), tz="Asia/Kolkata")
            for day in sorted(special_days):
                stamp = str(day)
                if stamp in schedule.index:
                    row = schedule.loc[stamp]
                    special[day] = (row["market_open"].time(), row["market_close"].time())
        return cls(source.name, holidays, first, last, special)

    # -- lookups ---------------------------------------------------------------------------
    def check_covered(self, day: date) -> None:
        """Raise `CalendarRangeError` unless `day` lies in the range this calendar knows."""
        if not self.first <= day <= self.last:
            raise CalendarRangeError(
                f"{day} is outside the {self.name} holiday calendar, which covers "
                f"{self.first} to {self.last}; upgrade pandas-market-calendars for later years"
            )

    def is_trading_day(self, day: date) -> bool:
        day = _as_date(day)
        self.check_covered(day)
        return day.weekday() < 5 and day not in self._holidays

    def is_holiday(self, day: date) -> bool:
        """True for an exchange holiday on a weekday (a weekend is closed but no holiday)."""
        day = _as_date(day)
        self.check_covered(day)
        return day in self._holidays

    def holidays(self) -> list[date]:
        """The weekday holidays of the covered range, in order."""
        return sorted(self._holidays)

    def trading_days(self, start: date, end: date) -> list[date]:
        """Trading days from `start` to `end`, both included; empty if `end` < `start`."""
        start, end = _as_date(start), _as_date(end)
        self.check_covered(start)
        self.check_covered(end)
        lo = bisect.bisect_left(self._days, start.toordinal())
        hi = bisect.bisect_right(self._days, end.toordinal())
        return [date.fromordinal(o) for o in self._days[lo:hi]]

    def next_trading_day(self, day: date) -> date:
        """The first trading day strictly after `day`."""
        day = _as_date(day)
        self.check_covered(day)
        index = bisect.bisect_right(self._days, day.toordinal())
        if index == len(self._days):
            raise CalendarRangeError(
                f"no trading day after {day} within the {self.name} calendar "
                f"({self.first} to {self.last})"
            )
        return date.fromordinal(self._days[index])

    def previous_trading_day(self, day: date) -> date:
        """The last trading day strictly before `day`."""
        day = _as_date(day)
        self.check_covered(day)
        index = bisect.bisect_left(self._days, day.toordinal())
        if index == 0:
            raise CalendarRangeError(
                f"no trading day before {day} within the {self.name} calendar "
                f"({self.first} to {self.last})"
            )
        return date.fromordinal(self._days[index - 1])

    def special_hours(self, day: date) -> tuple[time, time] | None:
        """(open, close) in IST for a day whose session is not the regular one, else None."""
        return self._special.get(_as_date(day))

    def __repr__(self) -> str:
        return f"TradingCalendar({self.name}, {self.first} to {self.last})"


def get_calendar(exchange: Exchange | str) -> TradingCalendar:
    """The shared calendar of an exchange; NFO uses NSE's and BFO uses BSE's.

    Raises `ConfigError` for MCX and CDS, whose holidays pandas-market-calendars does not have.
    """
    try:
        code = PACKAGE_CALENDARS[Exchange(str(exchange).upper())]
    except (KeyError, ValueError):
        supported = ", ".join(e.value for e in PACKAGE_CALENDARS)
        raise ConfigError(
            f"no trading calendar for exchange {exchange!s} yet (supported: {supported}); "
            "build a TradingCalendar from its holiday list instead"
        ) from None
    return _package_calendar(code)


@cache
def _package_calendar(code: str) -> TradingCalendar:
    return TradingCalendar.from_package(code)


def _as_date(day: date) -> date:
    """A `datetime` passed as a day means its IST date (naive ones are IST already)."""
    if isinstance(day, datetime):
        return (day.astimezone(IST) if day.tzinfo is not None else day).date()
    if not isinstance(day, date):
        raise ConfigError(f"expected a date, got {day!r}")
    return day


def _to_date(value: object) -> date:
    """A package date (Timestamp, str or date) as a plain `date`."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
