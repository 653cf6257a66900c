"""Parquet: save_bars writes the fixed layout, load_bars reads it back bit-exact, and a bad
file or a bad series is refused with a message naming the column or row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scalpbot.data import BarSeries, load_bars, sample_path, save_bars
from scalpbot.domain import DataError

COLUMNS = ("ts", "open", "high", "low", "close", "volume")


def assert_same(a: BarSeries, b: BarSeries) -> None:
    for name in COLUMNS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def small() -> BarSeries:
    return BarSeries(
        np.array([1_700_000_000_000_000_000, 1_700_000_060_000_000_001], dtype=np.int64),
        np.array([100.05, 0.1 + 0.2]),
        np.array([101.0, 0.4]),
        np.array([99.95, 0.3]),
        np.array([100.5, 0.30000000000000004]),
        np.array([0.0, 1e-9]),
        "small",
    )


def test_round_trip_is_exact(tmp_path: Path) -> None:
    bars = load_bars(sample_path("2006-min-005.txt"))
    path = save_bars(bars, tmp_path / "min5.parquet")
    again = load_bars(path)
    assert_same(bars, again)
    assert again.source == str(path)
    assert_same(small(), load_bars(save_bars(small(), tmp_path / "small.pq")))


def test_file_layout(tmp_path: Path) -> None:
    path = save_bars(load_bars(sample_path("GOOG.csv")), tmp_path / "goog.parquet")
    schema = pq.read_schema(path)
    assert schema.names == list(COLUMNS)
    assert schema.field("ts").type == pa.timestamp("ns", tz="UTC")
    assert all(schema.field(name).type == pa.float64() for name in COLUMNS[1:])
    table = pq.read_table(path)
    assert table.num_rows == 2148
    assert str(table.column("ts")[0].as_py()) == "2004-08-18 18:30:00+00:00"


def test_save_replaces_an_existing_file_and_leaves_no_temporaries(tmp_path: Path) -> None:
    path = tmp_path / "bars.parquet"
    save_bars(small(), path)
    goog = load_bars(sample_path("GOOG.csv"))
    save_bars(goog, path)
    assert len(load_bars(path)) == 2148
    assert [p.name for p in tmp_path.iterdir()] == ["bars.parquet"]


def test_invalid_series_is_not_saved(tmp_path: Path) -> None:
    path = tmp_path / "bars.parquet"
    save_bars(small(), path)
    before = path.read_bytes()
    bad = small()
    bad.high[1] = 0.1
    with pytest.raises(DataError, match=r"cannot save small .*row 2: high 0.1 is below low 0.3"):
        save_bars(bad, path)
    unordered = small()
    unordered.ts[1] = unordered.ts[0]
    with pytest.raises(DataError, match=r"row 2: duplicate timestamp"):
        save_bars(unordered, path)
    empty = small().slice(0, 0)
    with pytest.raises(DataError, match="no bars"):
        save_bars(empty, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["bars.parquet"]


def test_save_needs_a_parquet_name_and_a_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"must end in \.parquet or \.pq"):
        save_bars(small(), tmp_path / "bars.csv")
    with pytest.raises(DataError, match="cannot write"):
        save_bars(small(), tmp_path / "missing" / "bars.parquet")


def write_table(tmp_path: Path, columns: dict[str, pa.Array]) -> Path:
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table(columns), path)
    return path


def good_columns() -> dict[str, pa.Array]:
    ts = pa.array(
        [1_700_000_000_000_000_000, 1_700_000_060_000_000_000], type=pa.timestamp("ns", tz="UTC")
    )
    prices = {name: pa.array([10.0, 11.0]) for name in ("open", "high", "low", "close")}
    return {"ts": ts, **prices, "volume": pa.array([5, 6])}


@pytest.mark.parametrize("missing", COLUMNS)
def test_missing_column_is_named(tmp_path: Path, missing: str) -> None:
    columns = good_columns()
    del columns[missing]
    with pytest.raises(DataError, match=rf"missing column\(s\) {missing};"):
        load_bars(write_table(tmp_path, columns))


def test_other_writers_types_are_converted(tmp_path: Path) -> None:
    # Integer volumes, millisecond units and naive (IST) timestamps, as pandas might write.
    columns = good_columns()
    columns["ts"] = pa.array([0, 60_000], type=pa.timestamp("ms"))
    columns["open"] = pa.array([10, 11], type=pa.int32())
    bars = load_bars(write_table(tmp_path, columns))
    assert bars.ts.tolist() == [-19_800 * 10**9, -19_740 * 10**9]
    assert bars.open.dtype == np.float64 and bars.volume.tolist() == [5.0, 6.0]


def test_bad_parquet_contents(tmp_path: Path) -> None:
    columns = good_columns()
    columns["ts"] = pa.array([1, 2], type=pa.int64())
    with pytest.raises(DataError, match="column ts must be a timestamp, not int64"):
        load_bars(write_table(tmp_path, columns))
    columns = good_columns()
    columns["close"] = pa.array(["a", "b"])
    with pytest.raises(DataError, match="column close must be numeric, not string"):
        load_bars(write_table(tmp_path, columns))
    columns = good_columns()
    columns["low"] = pa.array([10.0, None])
    with pytest.raises(DataError, match="row 2: missing value in column low"):
        load_bars(write_table(tmp_path, columns))
    columns = good_columns()
    columns["open"] = pa.array([10.0, 12.0])
    with pytest.raises(DataError, match=r"row 2: high 11.0 is below max\(open, close\) = 12.0"):
        load_bars(write_table(tmp_path, columns))
    columns = good_columns()
    columns["ts"] = pa.array([5, 5], type=pa.timestamp("s", tz="UTC"))
    with pytest.raises(DataError, match="row 2: duplicate timestamp"):
        load_bars(write_table(tmp_path, columns))
    assert len(load_bars(write_table(tmp_path, columns), duplicates="merge")) == 1
    empty = {name: array.slice(0, 0) for name, array in good_columns().items()}
    with pytest.raises(DataError, match="holds no bars"):
        load_bars(write_table(tmp_path, empty))


def test_not_parquet_at_all(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_text("datetime,open\n")
    with pytest.raises(DataError, match=r"fake.parquet: not a readable Parquet file"):
        load_bars(path)
