"""A column-wise series of bars: the shape historical data takes between loading and replay.

Columns rather than a list of `Bar` objects: a million bars then cost 48 MB instead of several
hundred, and the backtest loop can walk them without building an object per bar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(slots=True)
class BarSeries:
    """OHLCV columns of one instrument, oldest first.

    `ts` holds each bar's open time in epoch nanoseconds (int64, UTC); prices and volume are
    float64. `source` names where the data came from, for error messages and reports.
    """

    ts: npt.NDArray[np.int64]
    open: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    close: npt.NDArray[np.float64]
    volume: npt.NDArray[np.float64]
    source: str = ""

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def slice(self, start: int, stop: int) -> BarSeries:
        """A view of rows [start, stop) sharing memory with this series."""
        return BarSeries(
            self.ts[start:stop],
            self.open[start:stop],
            self.high[start:stop],
            self.low[start:stop],
            self.close[start:stop],
            self.volume[start:stop],
            self.source,
        )
