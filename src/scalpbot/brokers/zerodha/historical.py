"""Historical candles, paged by Kite's longest span per interval.

Kite refuses a `/instruments/historical` request whose `from`..`to` span is longer than the
interval allows (60 days of minute candles, 2000 of daily ones; see `INTERVAL_MAX_DAYS`), so a
long download is cut into pages, fetched one after another (each through the historical rate
limit) and joined. Page boundaries do not overlap (the next page starts one second after the
previous one ends, `to` being inclusive), and candles are de-duplicated by time all the same.

Times go to Kite as IST wall times `yyyy-mm-dd hh:mm:ss`; naive datetimes are taken as IST.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from scalpbot.brokers.zerodha.constants import INTERVAL_MAX_DAYS
from scalpbot.brokers.zerodha.http import KiteHttp
from scalpbot.domain import IST, BrokerUnavailable, ConfigError, DataError

_STAMP = "%Y-%m-%d %H:%M:%S"
_ONE_SECOND = timedelta(seconds=1)


def _ist(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=IST, microsecond=0)
    return moment.astimezone(IST).replace(microsecond=0)


def check_interval(interval: str) -> str:
    """`interval` if Kite knows it, else `ConfigError` listing the ones it does."""
    if interval not in INTERVAL_MAX_DAYS:
        allowed = ", ".join(INTERVAL_MAX_DAYS)
        raise ConfigError(f"unknown candle interval {interval!r}; Kite offers: {allowed}")
    return interval


def plan_pages(interval: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The (from, to) spans, in IST, that cover `start`..`end` within Kite's per-request limit."""
    check_interval(interval)
    first, last = _ist(start), _ist(end)
    if first > last:
        raise ConfigError(
            f"historical range starts after it ends ({first:{_STAMP}} > {last:{_STAMP}} IST)"
        )
    span = timedelta(days=INTERVAL_MAX_DAYS[interval]) - _ONE_SECOND
    pages: list[tuple[datetime, datetime]] = []
    page_start = first
    while page_start <= last:
        page_end = min(page_start + span, last)
        pages.append((page_start, page_end))
        page_start = page_end + _ONE_SECOND
    return pages


def fetch_candles(
    http: KiteHttp,
    token: int,
    interval: str,
    start: datetime,
    end: datetime,
    *,
    continuous: bool = False,
    oi: bool = False,
) -> list[Sequence[Any]]:
    """Kite's raw candles (`[timestamp, open, high, low, close, volume(, oi)]`) for the range,
    in time order, one request per page."""
    seen: set[str] = set()
    candles: list[Sequence[Any]] = []
    for page_start, page_end in plan_pages(interval, start, end):
        data = http.get(
            f"/instruments/historical/{int(token)}/{interval}",
            {
                "from": page_start.strftime(_STAMP),
                "to": page_end.strftime(_STAMP),
                "continuous": "1" if continuous else "0",
                "oi": "1" if oi else "0",
            },
            category="historical",
        )
        rows = data.get("candles") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise BrokerUnavailable(
                f"GET /instruments/historical/{token}/{interval}: reply has no candles list"
            )
        for index, row in enumerate(rows):
            if not isinstance(row, list | tuple) or not row:
                raise DataError(
                    f"GET /instruments/historical/{token}/{interval}: candle {index} of the page "
                    f"from {page_start:{_STAMP}} is not a [time, open, high, low, close, volume]"
                )
            stamp = str(row[0])
            if stamp not in seen:
                seen.add(stamp)
                candles.append(row)
    return candles
