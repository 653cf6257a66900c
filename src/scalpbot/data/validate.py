"""The rules every bar series must satisfy, checked on whole columns at once.

One implementation serves every reader and writer (CSV, Parquet, `save_bars`, `write_csv`), so
a file that saves also loads and every path rejects the same bars with the same words. Checks
are vectorised: a million bars validate in milliseconds, and only the first offending row is
reported, located by the caller (a CSV line number, a Parquet row).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import numpy.typing as npt

from scalpbot.data.series import BarSeries
from scalpbot.domain.market_data import ns_to_datetime

Locate = Callable[[int], str]
#: What a reader does with rows sharing a timestamp: reject the file, or combine them.
Duplicates = Literal["error", "merge"]
_COLUMNS = ("open", "high", "low", "close", "volume")


def _first(mask: npt.NDArray[np.bool_]) -> int | None:
    if mask.size == 0:
        return None
    index = int(mask.argmax())
    return index if mask[index] else None


def _stamp(ns: int) -> str:
    return ns_to_datetime(ns).isoformat()


def _value_problem(series: BarSeries, row: int) -> str:
    """Why row `row` breaks a per-row rule (the caller knows it breaks one)."""
    for name in _COLUMNS:
        value = float(getattr(series, name)[row])
        if np.isnan(value):
            return f"{name} is NaN"
        if not np.isfinite(value):
            return f"{name} is infinite ({value})"
    o, h, lo, c, v = (float(getattr(series, name)[row]) for name in _COLUMNS)
    if h < lo:
        return f"high {h} is below low {lo}"
    if h < max(o, c):
        return f"high {h} is below max(open, close) = {max(o, c)}"
    if lo > min(o, c):
        return f"low {lo} is above min(open, close) = {min(o, c)}"
    return f"volume {v} is negative"


def _row_mask(series: BarSeries) -> npt.NDArray[np.bool_]:
    """True where a row breaks a per-row rule; NaN fails every comparison, so test it apart."""
    o, h, lo, c, v = series.open, series.high, series.low, series.close, series.volume
    bad = ~np.isfinite(o)
    for column in (h, lo, c, v):
        bad |= ~np.isfinite(column)
    bad |= h < np.maximum(o, c)
    bad |= lo > np.minimum(o, c)
    bad |= h < lo
    bad |= v < 0
    return bad


def find_problem(series: BarSeries, locate: Locate, *, allow_equal: bool = False) -> str | None:
    """Message for the first row (in file order) that breaks a rule, or None if all is well.

    Rules: prices and volume finite; low <= min(open, close) <= max(open, close) <= high;
    volume >= 0; timestamps strictly increasing (or, with `allow_equal`, never decreasing).
    `locate(row)` names a 0-based row for the message ("line 12", "row 11").
    """
    lengths = {len(series.ts), *(len(getattr(series, name)) for name in _COLUMNS)}
    if len(lengths) != 1:
        return f"columns have different lengths {sorted(lengths)}"
    value_row = _first(_row_mask(series))
    steps = np.diff(series.ts)
    order_row = _first(steps < 0 if allow_equal else steps <= 0)
    if order_row is not None:
        order_row += 1
    if value_row is not None and (order_row is None or value_row <= order_row):
        return f"{locate(value_row)}: {_value_problem(series, value_row)}"
    if order_row is None:
        return None
    here, before = int(series.ts[order_row]), int(series.ts[order_row - 1])
    if here == before:
        return (
            f"{locate(order_row)}: duplicate timestamp {_stamp(here)}, the same as "
            f"{locate(order_row - 1)}; timestamps must be strictly increasing (rows of ticks that "
            "share a timestamp can be combined with duplicates='merge')"
        )
    return (
        f"{locate(order_row)}: timestamp {_stamp(here)} is out of order, earlier than "
        f"{_stamp(before)} on {locate(order_row - 1)}; sort the bars by time"
    )


def merge_same_time(series: BarSeries) -> BarSeries:
    """Combine adjacent rows that share a timestamp into one bar: first open, highest high,
    lowest low, last close, summed volume.

    Tick files record several trades in one millisecond; as bars they are one bar. Expects a
    series that passed `find_problem(..., allow_equal=True)`; returns it unchanged when no two
    rows share a timestamp.
    """
    ts = series.ts
    if len(ts) < 2 or not np.any(ts[1:] == ts[:-1]):
        return series
    new = np.empty(len(ts), dtype=np.bool_)
    new[0] = True
    np.not_equal(ts[1:], ts[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(ts)) - 1
    return BarSeries(
        ts[starts],
        series.open[starts],
        np.maximum.reduceat(series.high, starts),
        np.minimum.reduceat(series.low, starts),
        series.close[ends],
        np.add.reduceat(series.volume, starts),
        series.source,
    )
