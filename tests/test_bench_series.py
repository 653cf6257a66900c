"""The benchmark's series builder: forwards, backwards with open/close swapped, forwards ...

The benchmark is only fair if both tools read the series it claims to build, so the order of
bars, the swap on the way back, the timestamps and the cached CSV are checked here. Nothing is
timed.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from scalpbot.data import BarSeries, load_bars
from scalpbot.domain import DataError, datetime_to_ns

BENCH_SERIES = Path(__file__).resolve().parents[1] / "bench" / "series.py"
BACKTRADER_MINUTES = """Date,Open,High,Low,Close,Volume,OpenInterest
2006-01-02,09:01:00,10.00,12.00,9.00,11.00,100,0
2006-01-02,09:02:00,11.00,13.00,10.00,12.00,200,0
2006-01-02,09:03:00,12.00,12.50,8.00,9.00,300,0
"""


def _load_module() -> ModuleType:
    """bench/ is a folder of scripts, not a package: load series.py from its path."""
    spec = importlib.util.spec_from_file_location("bench_series", BENCH_SERIES)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


series_mod = _load_module()


@pytest.fixture
def source_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "backtrader"
    folder.mkdir()
    (folder / series_mod.SOURCE_NAME).write_text(BACKTRADER_MINUTES, encoding="utf-8")
    return folder


def _three_bars() -> BarSeries:
    return BarSeries(
        np.array([0, 1, 2], dtype=np.int64),
        np.array([10.0, 11.0, 12.0]),
        np.array([12.0, 13.0, 12.5]),
        np.array([9.0, 10.0, 8.0]),
        np.array([11.0, 12.0, 9.0]),
        np.array([100.0, 200.0, 300.0]),
        "three",
    )


def test_bars_run_forwards_then_backwards_with_open_and_close_swapped() -> None:
    built = series_mod.build_series(_three_bars(), 8)
    assert len(built) == 8
    # forwards 0 1 2, backwards 2 1 0, forwards 0 1
    assert built.high.tolist() == [12.0, 13.0, 12.5, 12.5, 13.0, 12.0, 12.0, 13.0]
    assert built.low.tolist() == [9.0, 10.0, 8.0, 8.0, 10.0, 9.0, 9.0, 10.0]
    assert built.volume.tolist() == [100.0, 200.0, 300.0, 300.0, 200.0, 100.0, 100.0, 200.0]
    assert built.open.tolist() == [10.0, 11.0, 12.0, 9.0, 12.0, 11.0, 10.0, 11.0]
    assert built.close.tolist() == [11.0, 12.0, 9.0, 12.0, 11.0, 10.0, 11.0, 12.0]


def test_timestamps_are_a_plain_minute_range_from_the_start() -> None:
    built = series_mod.build_series(_three_bars(), 5)
    start = datetime_to_ns(series_mod.START)
    assert built.ts[0] == start
    assert np.diff(built.ts).tolist() == [60_000_000_000] * 4


def test_a_shorter_series_is_a_prefix_of_the_source() -> None:
    built = series_mod.build_series(_three_bars(), 2)
    assert built.close.tolist() == [11.0, 12.0]


@pytest.mark.parametrize("bars", [0, -5])
def test_a_non_positive_length_is_refused(bars: int) -> None:
    with pytest.raises(DataError, match="at least 1 bar"):
        series_mod.build_series(_three_bars(), bars)


def test_a_missing_source_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=series_mod.SOURCE_NAME):
        series_mod.source_path(tmp_path)


def test_the_cached_csv_loads_back_as_the_built_series(tmp_path: Path, source_dir: Path) -> None:
    cache = tmp_path / "cache"
    path = series_mod.benchmark_csv(10, cache_dir=cache, source_dir=source_dir)
    assert path == cache / "series-10.csv"
    assert series_mod.count_rows(path) == 10
    loaded = load_bars(path)
    expected = series_mod.build_series(load_bars(source_dir / series_mod.SOURCE_NAME), 10)
    for name in ("ts", "open", "high", "low", "close", "volume"):
        assert getattr(loaded, name).tolist() == getattr(expected, name).tolist(), name


def test_the_cache_is_reused_while_its_row_count_is_right(tmp_path: Path, source_dir: Path) -> None:
    cache = tmp_path / "cache"
    path = series_mod.benchmark_csv(7, cache_dir=cache, source_dir=source_dir)
    os.utime(path, ns=(1, 1))
    assert series_mod.benchmark_csv(7, cache_dir=cache, source_dir=source_dir) == path
    assert path.stat().st_mtime_ns == 1  # not rewritten

    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-2]), encoding="utf-8")  # as if cut short
    series_mod.benchmark_csv(7, cache_dir=cache, source_dir=source_dir)
    assert series_mod.count_rows(path) == 7
    assert len(load_bars(path)) == 7
