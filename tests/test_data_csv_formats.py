"""Every accepted CSV layout is detected and read exactly; naive times are IST."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from scalpbot.data import FORMATS, BarSeries, load_bars, sample_path
from scalpbot.data.csv_formats import detect_layout
from scalpbot.data.csv_scan import scan_csv

SHARED = Path(__file__).parents[2] / "shared" / "data"
BACKTRADER = SHARED / "backtrader"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared sample data not present")


def utc_ns(*parts: int) -> int:
    """Epoch ns of a UTC wall time, computed independently of the loader."""
    moment = datetime(*parts, tzinfo=UTC)  # type: ignore[misc]
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def write(tmp_path: Path, text: str, name: str = "bars.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def row(series: BarSeries, index: int) -> tuple[int, float, float, float, float, float]:
    return (
        int(series.ts[index]),
        float(series.open[index]),
        float(series.high[index]),
        float(series.low[index]),
        float(series.close[index]),
        float(series.volume[index]),
    )


def assert_same(a: BarSeries, b: BarSeries) -> None:
    for name in ("ts", "open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_backtesting_py_goog_sample() -> None:
    bars = load_bars(sample_path("GOOG.csv"))
    assert len(bars) == 2148
    # 2004-08-19 (IST midnight) is 2004-08-18T18:30Z.
    assert row(bars, 0) == (utc_ns(2004, 8, 18, 18, 30), 100.0, 104.06, 95.96, 100.34, 22351900.0)
    assert row(bars, -1) == (utc_ns(2013, 2, 28, 18, 30), 797.8, 807.14, 796.15, 806.19, 2175400.0)
    assert bars.ts.dtype == np.int64 and bars.close.dtype == np.float64
    assert bars.source.endswith("GOOG.csv")
    assert detect_layout(sample_path("GOOG.csv")).format.name == "backtesting.py"


def test_backtrader_five_minute_sample() -> None:
    bars = load_bars(sample_path("2006-min-005.txt"))
    assert len(bars) == 2142
    assert row(bars, 0) == (utc_ns(2006, 1, 2, 3, 35), 3578.73, 3587.88, 3578.73, 3582.99, 0.0)
    assert row(bars, -1) == (utc_ns(2006, 1, 30, 12, 0), 3679.29, 3679.40, 3676.31, 3677.52, 0.0)


def test_ist_date_and_time_fields_are_exact(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Date,Time,Open,High,Low,Close,Volume,OpenInterest\n"
        "2006-01-02,09:01:00,3602.00,3603.00,3597.00,3599.00,5699,0\n",
    )
    bars = load_bars(path)
    assert int(bars.ts[0]) == utc_ns(2006, 1, 2, 3, 31)  # 09:01 IST = 03:31 UTC


def test_header_naming_one_field_fewer_than_rows(tmp_path: Path) -> None:
    # backtrader's volume-min-001 file: 7 names, 8 fields (date and time apart).
    path = write(
        tmp_path,
        "Date,Open,High,Low,Close,Volume,OpenInterest\r\n"
        "2006-01-02,09:01:00,3602.00,3603.00,3597.00,3599.00,5699,0\r\n"
        "2006-01-02,09:02:00,3600.00,3601.00,3598.00,3599.00,894,0\r\n",
        "min.txt",
    )
    bars = load_bars(path)
    assert row(bars, 0) == (utc_ns(2006, 1, 2, 3, 31), 3602.0, 3603.0, 3597.0, 3599.0, 5699.0)
    assert row(bars, 1) == (utc_ns(2006, 1, 2, 3, 32), 3600.0, 3601.0, 3598.0, 3599.0, 894.0)


def test_scalpbot_format_variants(tmp_path: Path) -> None:
    text = (
        "{first},Open,HIGH,low,close{vol}\n"
        "2024-01-01T09:15:00+05:30,100,101,99,100.5{v1}\n"
        "2024-01-01 09:16:00,100.5,102,100,101{v2}\n"
        "2024-01-01T03:47:00Z,101,101,100,100{v3}\n"
    )
    expected_ts = [utc_ns(2024, 1, 1, 3, 45), utc_ns(2024, 1, 1, 3, 46), utc_ns(2024, 1, 1, 3, 47)]
    for first in ("datetime", "Timestamp", "DATE"):
        with_volume = write(
            tmp_path, text.format(first=first, vol=",volume", v1=",10", v2=",0", v3=",2.5")
        )
        bars = load_bars(with_volume)
        assert bars.ts.tolist() == expected_ts
        assert bars.volume.tolist() == [10.0, 0.0, 2.5]
        without = write(tmp_path, text.format(first=first, vol="", v1="", v2="", v3=""))
        bars = load_bars(without)
        assert bars.ts.tolist() == expected_ts
        assert bars.volume.tolist() == [0.0, 0.0, 0.0]
        assert detect_layout(without).format.name == "scalpbot"


def test_offsets_are_honoured_and_fractions_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "datetime,open,high,low,close\n"
        "2024-01-01T09:15:00.123456789-04:00,1,1,1,1\n"
        "2024-01-01T09:15:00.5-04:00,1,1,1,1\n",
    )
    bars = load_bars(path)
    assert int(bars.ts[0]) == utc_ns(2024, 1, 1, 13, 15) + 123_456_789
    assert int(bars.ts[1]) == utc_ns(2024, 1, 1, 13, 15) + 500_000_000


def test_mixed_naive_and_offset_timestamps_load_through_the_scan(tmp_path: Path) -> None:
    # pyarrow refuses a column mixing both; the line scan reads it, with the same values.
    path = write(
        tmp_path,
        "datetime,open,high,low,close,volume\n"
        "2024-01-01T09:15:00,1,2,0.5,1.5,1\n"
        "2024-01-01T09:16:00+05:30,1,2,0.5,1.5,1\n"
        "2024-01-01T03:47:00Z,1,2,0.5,1.5,1\n",
    )
    bars = load_bars(path)
    assert bars.ts.tolist() == [utc_ns(2024, 1, 1, 3, m) for m in (45, 46, 47)]


def test_bom_blank_lines_and_whitespace(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\ufeffdatetime, open ,high,low,close,volume\n\n"
        "2024-01-01T09:15:00, 1 ,2,0.5,1.5,3\n\n\n"
        "2024-01-01T09:16:00,1,2,0.5,1.5,4",  # no final newline
    )
    bars = load_bars(path)
    assert len(bars) == 2
    assert row(bars, 1) == (utc_ns(2024, 1, 1, 3, 46), 1.0, 2.0, 0.5, 1.5, 4.0)


def test_extension_is_case_insensitive(tmp_path: Path) -> None:
    path = write(tmp_path, "date,open,high,low,close\n2024-01-01,1,1,1,1\n", "BARS.TXT")
    assert len(load_bars(str(path))) == 1


def test_every_format_has_a_loadable_example(tmp_path: Path) -> None:
    headers = {
        "scalpbot": "datetime,open,high,low,close,volume",
        "backtesting.py": ",Open,High,Low,Close,Volume",
        "backtrader": "Date,Open,High,Low,Close,Volume,OpenInterest",
        "Yahoo": "Date,Open,High,Low,Close,Adj Close,Volume",
    }
    assert {fmt.name for fmt in FORMATS} == set(headers)
    for name, header in headers.items():
        width = header.count(",") + 1
        fields = ["2024-01-01", "10", "12", "9", "11", "7", "0"][:width]
        path = write(tmp_path, f"{header}\n{','.join(fields)}\n")
        assert detect_layout(path).format.name == name
        bars = load_bars(path)
        assert row(bars, 0)[:5] == (utc_ns(2023, 12, 31, 18, 30), 10.0, 12.0, 9.0, 11.0)


def test_yahoo_uses_close_not_adj_close(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "1999-01-22,1.750000,1.953125,1.552083,1.640625,1.518424,67867200\n",
    )
    assert row(load_bars(path), 0)[4:] == (1.640625, 67867200.0)


def test_duplicate_ticks_merge_on_request(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Datetime,Open,High,Low,Close,Volume,OpenInterest\n"
        "2015-09-23T20:58:21.068,3068.00,3068.00,3068.00,3068.00,6,0\n"
        "2015-09-23T20:58:22.316,3068.00,3068.00,3068.00,3068.00,60,0\n"
        "2015-09-23T20:58:22.316,3069.00,3069.00,3069.00,3069.00,1,0\n"
        "2015-09-23T20:58:22.665,3068.00,3068.00,3068.00,3068.00,1,0\n",
    )
    bars = load_bars(path, duplicates="merge")
    assert len(bars) == 3
    assert row(bars, 1)[1:] == (3068.0, 3069.0, 3068.0, 3069.0, 61.0)
    assert int(bars.ts[1]) == utc_ns(2015, 9, 23, 15, 28, 22) + 316_000_000


@needs_shared
@pytest.mark.parametrize(
    ("name", "count", "first", "last"),
    [
        (
            "2006-01-02-volume-min-001.txt",
            30889,
            (utc_ns(2006, 1, 2, 3, 31), 3602.0, 3603.0, 3597.0, 3599.0, 5699.0),
            (utc_ns(2006, 2, 27, 16, 30), 3840.0, 3840.0, 3838.0, 3838.0, 327.0),
        ),
        (
            "2006-day-001.txt",
            255,
            (utc_ns(2006, 1, 1, 18, 30), 3578.73, 3605.95, 3578.73, 3604.33, 0.0),
            (utc_ns(2006, 12, 28, 18, 30), 4130.12, 4142.01, 4119.94, 4119.94, 0.0),
        ),
        (
            "2006-volume-day-001.txt",
            255,
            (utc_ns(2006, 1, 1, 18, 30), 3602.0, 3624.0, 3596.0, 3617.0, 164794.0),
            (utc_ns(2006, 12, 28, 18, 30), 4157.0, 4167.0, 4145.0, 4157.0, 205816.0),
        ),
        (
            "nvda-1999-2014.txt",
            4012,
            (utc_ns(1999, 1, 21, 18, 30), 1.75, 1.953125, 1.552083, 1.640625, 67867200.0),
            (utc_ns(2014, 12, 30, 18, 30), 20.4, 20.51, 19.99, 20.049999, 4157500.0),
        ),
        (
            "orcl-1995-2014.txt",
            5036,
            (utc_ns(1995, 1, 2, 18, 30), 2.179012, 2.191358, 2.117284, 2.117284, 36301200.0),
            (utc_ns(2014, 12, 30, 18, 30), 45.450001, 45.560001, 44.970001, 44.970001, 13269200.0),
        ),
    ],
)
def test_shared_backtrader_files(
    name: str, count: int, first: tuple[float, ...], last: tuple[float, ...]
) -> None:
    bars = load_bars(BACKTRADER / name)
    assert len(bars) == count
    assert row(bars, 0) == first
    assert row(bars, -1) == last


@needs_shared
def test_shared_tick_sample_has_one_duplicate_instant() -> None:
    from scalpbot.domain import DataError

    with pytest.raises(DataError, match="line 24: duplicate timestamp"):
        load_bars(BACKTRADER / "ticksample.csv")
    bars = load_bars(BACKTRADER / "ticksample.csv", duplicates="merge")
    assert len(bars) == 134  # 135 rows, two of them in the same millisecond
    assert row(bars, 0) == (
        utc_ns(2015, 9, 23, 15, 27, 42) + 146_000_000,
        3067.0,
        3067.0,
        3067.0,
        3067.0,
        180.0,
    )
    assert row(bars, -1) == (
        utc_ns(2015, 9, 23, 15, 30, 0) + 238_000_000,
        3069.0,
        3069.0,
        3069.0,
        3069.0,
        1.0,
    )


@needs_shared
def test_shared_goog_matches_the_bundled_copy() -> None:
    assert (SHARED / "backtesting_py" / "GOOG.csv").read_bytes() == sample_path(
        "GOOG.csv"
    ).read_bytes()
    assert (BACKTRADER / "2006-min-005.txt").read_bytes() == sample_path(
        "2006-min-005.txt"
    ).read_bytes()


def _csv_files() -> list[Path]:
    files = [sample_path("GOOG.csv"), sample_path("2006-min-005.txt")]
    if SHARED.is_dir():
        files += sorted(p for p in BACKTRADER.iterdir() if p.name != "ticksample.csv")
    return files


@pytest.mark.parametrize("path", _csv_files(), ids=lambda p: p.name)
def test_fast_path_and_line_scan_agree(path: Path) -> None:
    assert_same(load_bars(path), scan_csv(path, detect_layout(path)))
