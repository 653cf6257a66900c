"""Field parsing of the line scan, and merging ticks that share a timestamp."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from scalpbot.data import BarSeries
from scalpbot.data.text_values import (
    combine_ist,
    parse_date_days,
    parse_number,
    parse_stamp,
    parse_time_ns,
)
from scalpbot.data.validate import find_problem, merge_same_time

NS = 1_000_000_000


def utc_ns(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp()) * NS  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2006-01-02", utc_ns(2006, 1, 1, 18, 30)),
        ("2006-01-02 09:01", utc_ns(2006, 1, 2, 3, 31)),
        ("2006-01-02T09:01:00", utc_ns(2006, 1, 2, 3, 31)),
        ("2006-01-02T09", utc_ns(2006, 1, 2, 3, 30)),
        (" 2006-01-02T09:01:00.5 ", utc_ns(2006, 1, 2, 3, 31) + NS // 2),
        ("2006-01-02T09:01:00.000000001", utc_ns(2006, 1, 2, 3, 31) + 1),
        ("2006-01-02T09:01:00Z", utc_ns(2006, 1, 2, 9, 1)),
        ("2006-01-02T09:01:00+0100", utc_ns(2006, 1, 2, 8, 1)),
        ("2006-01-02T09:01:00-05:30", utc_ns(2006, 1, 2, 14, 31)),
        ("1900-03-01T00:00:00+00:00", utc_ns(1900, 3, 1)),
    ],
)
def test_parse_stamp(text: str, expected: int) -> None:
    assert parse_stamp(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2006-02-29", "no such date"),
        ("2006/01/02", "expected YYYY-MM-DD"),
        ("2006-01-02T24:00", "out of range"),
        ("2006-01-02T09:01:00+25:00", "offset"),
        ("1600-01-01", "range"),
        ("2006-01-02Z", "expected"),
    ],
)
def test_parse_stamp_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_stamp(text)


def test_date_and_time_fields() -> None:
    assert parse_date_days("1970-01-02") == 1
    assert parse_time_ns("09:01") == (9 * 3600 + 60) * NS
    assert parse_time_ns("9:01:02.25") == (9 * 3600 + 62) * NS + NS // 4
    assert combine_ist(0, 0) == -19_800 * NS
    with pytest.raises(ValueError, match="expected HH:MM"):
        parse_time_ns("0901")


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", 1.0), (" +1.5 ", 1.5), ("1.", 1.0), (".5", 0.5), ("-2e3", -2000.0), ("1E-2", 0.01)],
)
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == value


def test_parse_number_non_finite_and_bad() -> None:
    assert np.isnan(parse_number("NaN"))
    assert parse_number("-inf") == float("-inf")
    for bad in ("1_000", "0x10", "1,5", "abc", "1.2.3"):
        with pytest.raises(ValueError, match="unparseable number"):
            parse_number(bad)
    with pytest.raises(ValueError, match="missing value"):
        parse_number("  ")


def series(
    ts: list[int], o: list[float], h: list[float], lo: list[float], c: list[float], v: list[float]
) -> BarSeries:
    return BarSeries(
        np.array(ts, dtype=np.int64), *(np.array(x, dtype=np.float64) for x in (o, h, lo, c, v))
    )


def test_merge_same_time_aggregates_runs() -> None:
    bars = series(
        [1, 2, 2, 2, 3],
        [5, 6, 7, 4, 9],
        [5, 6, 8, 4, 9],
        [5, 6, 7, 3, 9],
        [5, 6, 7, 4, 9],
        [1, 2, 3, 4, 5],
    )
    assert find_problem(bars, str) is not None
    assert find_problem(bars, str, allow_equal=True) is None
    merged = merge_same_time(bars)
    assert merged.ts.tolist() == [1, 2, 3]
    assert merged.open.tolist() == [5, 6, 9]
    assert merged.high.tolist() == [5, 8, 9]
    assert merged.low.tolist() == [5, 3, 9]
    assert merged.close.tolist() == [5, 4, 9]
    assert merged.volume.tolist() == [1, 9, 5]
    unique = series([1, 2], [1, 1], [1, 1], [1, 1], [1, 1], [0, 0])
    assert merge_same_time(unique) is unique


def test_find_problem_reports_the_earliest_row() -> None:
    bars = series([1, 3, 2], [1, 1, 1], [1, 0.5, 1], [1, 1, 1], [1, 1, 1], [0, 0, 0])
    assert find_problem(bars, lambda i: f"row {i + 1}") == "row 2: high 0.5 is below low 1.0"
    uneven = BarSeries(np.zeros(2, dtype=np.int64), *(np.zeros(n) for n in (2, 2, 2, 2, 1)))
    assert find_problem(uneven, str) == "columns have different lengths [1, 2]"
