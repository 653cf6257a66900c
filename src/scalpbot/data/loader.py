"""`load_bars`: historical bars from a CSV or Parquet file, validated, as a `BarSeries`.

CSV is read in two passes only when needed. The fast pass (`csv_fast`) has pyarrow parse the
file with an explicit type for every column and validates the result on whole columns. Only if
that fails does the slow line-by-line scan (`csv_scan`) run, to name the exact line of the first
error, or to read a file pyarrow is too strict for. Either way the caller gets every bar or a
DataError, never part of a file.
"""

from __future__ import annotations

from pathlib import Path

from scalpbot.data.csv_fast import read_fast
from scalpbot.data.csv_formats import CSV_SUFFIXES, detect_layout
from scalpbot.data.csv_scan import scan_csv
from scalpbot.data.parquet_store import PARQUET_SUFFIXES, read_parquet
from scalpbot.data.series import BarSeries
from scalpbot.data.validate import Duplicates, find_problem, merge_same_time
from scalpbot.domain.errors import ConfigError, DataError


def load_bars(path: str | Path, *, duplicates: Duplicates = "error") -> BarSeries:
    """Load bars from `path`: `.csv`/`.txt` as CSV, `.parquet`/`.pq` as Parquet.

    CSV headers understood are listed in `scalpbot.data.csv_formats.FORMATS` (scalpbot's own,
    backtesting.py's, backtrader's, Yahoo's). Naive timestamps are IST; ones with an offset are
    honoured. Timestamps must increase strictly; with `duplicates="merge"` rows sharing a
    timestamp (ticks traded in the same instant) are combined into one bar instead.
    Raises DataError naming the file, the line and the problem.
    """
    if duplicates not in ("error", "merge"):
        raise ConfigError(f"duplicates must be 'error' or 'merge', not {duplicates!r}")
    merge = duplicates == "merge"
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in CSV_SUFFIXES + PARQUET_SUFFIXES:
        raise DataError(
            f"{file}: unknown file type {file.suffix or '(no extension)'!r}; expected CSV "
            f"({', '.join(CSV_SUFFIXES)}) or Parquet ({', '.join(PARQUET_SUFFIXES)})"
        )
    if not file.exists():
        raise DataError(f"{file}: no such file")
    if not file.is_file():
        raise DataError(f"{file}: not a file")
    try:
        if suffix in PARQUET_SUFFIXES:
            series = read_parquet(file, allow_equal=merge)
        else:
            series = load_csv(file, allow_equal=merge)
    except OSError as exc:
        raise DataError(f"{file}: cannot read: {exc}") from exc
    return merge_same_time(series) if merge else series


def load_csv(path: Path, *, allow_equal: bool = False) -> BarSeries:
    """Bars of a CSV file in any accepted layout (see `load_bars`)."""
    layout = detect_layout(path)
    series = read_fast(path, layout)
    if (
        series is not None
        and len(series)
        and not find_problem(series, str, allow_equal=allow_equal)
    ):
        return series
    del series  # free it before the slow scan allocates its own columns
    return scan_csv(path, layout, allow_equal=allow_equal)
