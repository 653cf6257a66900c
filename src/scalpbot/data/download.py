"""Historical bars downloaded through any broker's `Broker` protocol, kept as Parquet.

The broker adapter pages its own requests (Kite allows so many days per call for each
interval); this module only turns what comes back into a checked `BarSeries` and writes it
atomically, so a failed or refused download never leaves half a file where a good one was.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from scalpbot.data.parquet_store import save_bars
from scalpbot.data.series import BarSeries
from scalpbot.domain import Bar, DataError


class HistorySource(Protocol):
    """The part of the `Broker` protocol a download needs."""

    def get_historical_data(
        self, symbol: str, exchange: str, interval: str, start: datetime, end: datetime
    ) -> list[Bar] | tuple[Bar, ...]: ...


def bars_to_series(bars: list[Bar] | tuple[Bar, ...], source: str) -> BarSeries:
    """Columns of `bars`, oldest first; duplicates of one timestamp keep the last one."""
    by_ts = {bar.ts: bar for bar in bars}
    ordered = [by_ts[ts] for ts in sorted(by_ts)]
    return BarSeries(
        np.array([b.ts for b in ordered], dtype=np.int64),
        np.array([b.open for b in ordered], dtype=np.float64),
        np.array([b.high for b in ordered], dtype=np.float64),
        np.array([b.low for b in ordered], dtype=np.float64),
        np.array([b.close for b in ordered], dtype=np.float64),
        np.array([b.volume for b in ordered], dtype=np.float64),
        source,
    )


def download_bars(
    broker: HistorySource,
    instrument_key: str,
    interval: str,
    start: datetime,
    end: datetime,
    out: str | Path,
) -> BarSeries:
    """Download `instrument_key`'s bars between `start` and `end` and save them to `out`."""
    exchange, _, symbol = instrument_key.partition(":")
    if not symbol:
        raise DataError(f"{instrument_key!r}: give the instrument as EXCHANGE:SYMBOL")
    if end <= start:
        raise DataError(f"the download ends ({end}) before it starts ({start})")
    bars = list(broker.get_historical_data(symbol, exchange, interval, start, end))
    if not bars:
        raise DataError(
            f"the broker returned no {interval} bars for {instrument_key} between {start} and "
            f"{end}; nothing was written"
        )
    series = bars_to_series(bars, f"{instrument_key} {interval}")
    save_bars(series, out)
    return series
