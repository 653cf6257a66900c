"""The benchmark series: real minute bars stretched to any length without inventing prices.

Random walks are too regular to stress a backtest the way markets do, and one real minute file
holds only ~31,000 bars. So the file's bars are played forwards, then backwards in time (open
and close swapped, since running a bar backwards starts it at its close), then forwards again,
until the series is long enough. Prices stay in the file's range, every join is between the same
bar twice (no price jump), and the series keeps the real data's texture of ticks and ties.
Timestamps are a plain one-minute range with no session gaps: the bench measures the loop, not
the calendar.

    from series import benchmark_csv
    csv_path = benchmark_csv(100_000)   # bench/.cache/series-100000.csv, built once
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from scalpbot.data import BarSeries, load_bars, write_csv
from scalpbot.domain import IST, DataError, datetime_to_ns

DEFAULT_BARS = 1_000_000
SOURCE_NAME = "2006-01-02-volume-min-001.txt"
#: The shared data folder sits beside the repository: <parent of repo>/shared/data/backtrader.
SOURCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "backtrader"
CACHE_DIR = Path(__file__).resolve().parent / ".cache"
START = datetime(2020, 1, 1, 9, 15, tzinfo=IST)
MINUTE_NS = 60 * 1_000_000_000


def source_path(directory: Path = SOURCE_DIR) -> Path:
    """The one-minute backtrader file the series is made of; DataError if it is missing."""
    path = directory / SOURCE_NAME
    if not path.is_file():
        raise DataError(
            f"benchmark data not found: {path} is missing. The bench reads the shared data "
            f"folder beside the repository ({directory}); put {SOURCE_NAME} there."
        )
    return path


def build_series(source: BarSeries, bars: int, start: datetime = START) -> BarSeries:
    """`bars` bars made of `source` played forwards, backwards (open/close swapped), forwards...

    High, low and volume travel with their bar; timestamps are one minute apart from `start`.
    Raises DataError if `bars` is not positive or `source` is empty.
    """
    if bars < 1:
        raise DataError(f"the benchmark series needs at least 1 bar, not {bars}")
    n = len(source)
    if n == 0:
        raise DataError(f"{source.source or 'the source series'} has no bars to repeat")
    # One period is the file forwards then reversed; the series is that period cut to length.
    period_open = np.concatenate((source.open, source.close[::-1]))
    period_close = np.concatenate((source.close, source.open[::-1]))
    period_high = np.concatenate((source.high, source.high[::-1]))
    period_low = np.concatenate((source.low, source.low[::-1]))
    period_volume = np.concatenate((source.volume, source.volume[::-1]))
    index = np.arange(bars, dtype=np.int64) % (2 * n)
    ts = datetime_to_ns(start) + np.arange(bars, dtype=np.int64) * MINUTE_NS
    return BarSeries(
        ts,
        period_open[index],
        period_high[index],
        period_low[index],
        period_close[index],
        period_volume[index],
        f"{source.source or 'bars'} repeated forwards and backwards to {bars:,} bars",
    )


def count_rows(path: Path) -> int:
    """Data rows of a CSV written by `write_csv` (lines after the header), read in blocks."""
    lines = 0
    last = b"\n"
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    if last != b"\n":
        lines += 1  # a last line without its newline
    return max(lines - 1, 0)


def benchmark_csv(
    bars: int = DEFAULT_BARS, cache_dir: Path = CACHE_DIR, source_dir: Path = SOURCE_DIR
) -> Path:
    """Path of the `bars`-bar series as scalpbot CSV, written once and reused while its row
    count is right (a run interrupted mid-write leaves no file: `write_csv` replaces atomically).
    """
    path = cache_dir / f"series-{bars}.csv"
    if path.is_file() and count_rows(path) == bars:
        return path
    source = load_bars(source_path(source_dir))
    cache_dir.mkdir(parents=True, exist_ok=True)
    return write_csv(build_series(source, bars), path)
