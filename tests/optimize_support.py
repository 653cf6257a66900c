"""Helpers shared by the optimiser tests (this module holds no tests itself)."""

from __future__ import annotations

from typing import Any, ClassVar

from scalpbot.data import BarSeries


class CountingSeries(BarSeries):
    """A BarSeries that counts how often it is pickled in this (the parent) process, to prove
    an executor ships the bars once per worker rather than once per trial. It unpickles as a
    plain BarSeries, so workers need not import this module."""

    pickled: ClassVar[int] = 0

    def __reduce__(self) -> tuple[Any, ...]:
        CountingSeries.pickled += 1
        columns = (self.ts, self.open, self.high, self.low, self.close, self.volume)
        return (BarSeries, (*columns, self.source))


def counting(series: BarSeries) -> CountingSeries:
    return CountingSeries(
        series.ts, series.open, series.high, series.low, series.close, series.volume,
        series.source,
    )  # fmt: skip
