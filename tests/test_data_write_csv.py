"""write_csv writes scalpbot's own layout with +05:30 timestamps, and load_bars reads back
exactly what was written, for any valid series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalpbot.data import BarSeries, load_bars, sample_path, write_csv
from scalpbot.data.csv_formats import detect_layout
from scalpbot.data.csv_scan import scan_csv
from scalpbot.domain import DataError

COLUMNS = ("ts", "open", "high", "low", "close", "volume")


def assert_same(a: BarSeries, b: BarSeries) -> None:
    for name in COLUMNS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_layout_of_the_written_file(tmp_path: Path) -> None:
    bars = load_bars(sample_path("2006-min-005.txt"))
    path = write_csv(bars, tmp_path / "min5.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "datetime,open,high,low,close,volume"
    assert lines[1] == "2006-01-02T09:05:00+05:30,3578.73,3587.88,3578.73,3582.99,0"
    assert lines[-1] == "2006-01-30T17:30:00+05:30,3679.29,3679.4,3676.31,3677.52,0"
    assert len(lines) == 2143
    assert_same(bars, load_bars(path))


def test_sub_second_timestamps_keep_their_precision(tmp_path: Path) -> None:
    base = 1_442_996_862_000_000_000
    bars = BarSeries(
        np.array([base + 146_000_000, base + 4_005_000_000, base + 4_005_000_001]),
        np.ones(3),
        np.ones(3),
        np.ones(3),
        np.ones(3),
        np.zeros(3),
    )
    path = write_csv(bars, tmp_path / "ticks.csv")
    lines = path.read_text().splitlines()
    assert lines[1].startswith("2015-09-23T13:57:42.146000000+05:30,")
    assert lines[3].startswith("2015-09-23T13:57:46.005000001+05:30,")
    assert_same(bars, load_bars(path))
    millis = bars.slice(0, 2)
    assert (
        write_csv(millis, path)
        .read_text()
        .splitlines()[1]
        .startswith("2015-09-23T13:57:42.146+05:30,")
    )


def test_invalid_series_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("keep me")
    bars = load_bars(sample_path("GOOG.csv"))
    bars.volume[10] = -5
    with pytest.raises(DataError, match=r"cannot write .*GOOG.csv to .*row 11: volume -5.0"):
        write_csv(bars, path)
    with pytest.raises(DataError, match="no bars"):
        write_csv(bars.slice(0, 0), path)
    with pytest.raises(DataError, match=r"must end in \.csv or \.txt"):
        write_csv(bars, tmp_path / "out.parquet")
    assert path.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


@st.composite
def bar_series(draw: st.DrawFn) -> BarSeries:
    """Valid bars with any finite float64 prices and timestamps at any unit."""
    size = draw(st.integers(min_value=1, max_value=30))
    unit = draw(st.sampled_from([1, 1_000, 1_000_000, 1_000_000_000, 60_000_000_000]))
    start = draw(st.integers(min_value=-(2**62) // unit, max_value=(2**62) // unit))
    steps = draw(st.lists(st.integers(1, 10**6), min_size=size, max_size=size))
    ts = (start + np.cumsum(np.array(steps, dtype=np.int64))) * unit
    price = st.floats(allow_nan=False, allow_infinity=False)
    rows = [sorted(draw(st.lists(price, min_size=4, max_size=4))) for _ in range(size)]
    swaps = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    volume = st.floats(min_value=0, allow_nan=False, allow_infinity=False)
    return BarSeries(
        ts,
        np.array([r[2] if swap else r[1] for r, swap in zip(rows, swaps, strict=True)]),
        np.array([r[3] for r in rows]),
        np.array([r[0] for r in rows]),
        np.array([r[1] if swap else r[2] for r, swap in zip(rows, swaps, strict=True)]),
        np.array(draw(st.lists(volume, min_size=size, max_size=size))),
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(bars=bar_series())
def test_write_then_load_round_trips(tmp_path: Path, bars: BarSeries) -> None:
    path = write_csv(bars, tmp_path / "round.csv")
    assert_same(bars, load_bars(path))
    assert_same(bars, scan_csv(path, detect_layout(path)))  # the slow path reads it alike
