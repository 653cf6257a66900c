"""The slow, exact CSV reader: one line at a time with the `csv` module.

The fast pyarrow path cannot say on which line a file went wrong (it skips blank lines and
reads blocks in parallel), so whenever it fails or its result breaks a rule, this scan reads
the file again, counting lines the way a text editor does (header = line 1), and raises a
DataError naming the first bad line. It is also a complete reader: a file that only pyarrow
dislikes (say, naive and offset timestamps mixed) still loads, just slower.

Values are gathered in `array.array`s (8 bytes each, no Python object per value) and handed to
numpy without a copy at the end.
"""

from __future__ import annotations

import csv
from array import array
from pathlib import Path

import numpy as np
import numpy.typing as npt

from scalpbot.data.csv_formats import CsvLayout
from scalpbot.data.series import BarSeries
from scalpbot.data.text_values import (
    combine_ist,
    parse_date_days,
    parse_number,
    parse_stamp,
    parse_time_ns,
)
from scalpbot.data.validate import find_problem
from scalpbot.domain.errors import DataError

_PRICES = ("open", "high", "low", "close")


class _Columns:
    """Growing typed arrays of the rows read so far, plus each row's line number."""

    def __init__(self) -> None:
        self.ts = array("q")
        self.prices = {name: array("d") for name in (*_PRICES, "volume")}
        self.lines = array("q")

    def series(self, source: str) -> BarSeries:
        def floats(name: str) -> npt.NDArray[np.float64]:
            return np.frombuffer(self.prices[name], dtype=np.float64)

        return BarSeries(
            np.frombuffer(self.ts, dtype=np.int64),
            floats("open"),
            floats("high"),
            floats("low"),
            floats("close"),
            floats("volume"),
            source,
        )

    def locate(self, row: int) -> str:
        return f"line {self.lines[row]}"


def _fail(path: Path, columns: _Columns, line: int, problem: str, allow_equal: bool) -> DataError:
    """The error for `problem` on `line`, unless an earlier row already broke a rule."""
    earlier = find_problem(columns.series(str(path)), columns.locate, allow_equal=allow_equal)
    return DataError(f"{path}: {earlier or f'line {line}: {problem}'}")


def _stamp(row: list[str], layout: CsvLayout) -> int:
    """Epoch ns of a row, from one timestamp field or a date field and a time field."""
    when = row[layout.roles["when"]]
    time_index = layout.roles.get("time")
    if time_index is None:
        try:
            return parse_stamp(when)
        except ValueError as exc:
            raise ValueError(f"unparseable date {when!r}: {exc}") from None
    try:
        days = parse_date_days(when)
    except ValueError as exc:
        raise ValueError(f"unparseable date {when!r}: {exc}") from None
    try:
        time_ns = parse_time_ns(row[time_index])
    except ValueError as exc:
        raise ValueError(f"unparseable time {row[time_index]!r}: {exc}") from None
    try:
        return combine_ist(days, time_ns)
    except ValueError as exc:
        raise ValueError(f"date {when!r} {row[time_index]!r} {exc}") from None


def _field_count_problem(row: list[str], layout: CsvLayout) -> str:
    if len(row) < layout.width:
        missing = ", ".join(repr(name) for name in layout.columns[len(row) :])
        problem = f"missing field(s) {missing}: {len(row)} fields, expected {layout.width}"
    else:
        problem = f"too many fields: {len(row)}, expected {layout.width}"
    if any("\n" in field or "\r" in field for field in row):
        problem += " (a quoted field runs over several lines: is a closing quote missing?)"
    return problem


def _number(row: list[str], layout: CsvLayout, name: str) -> float:
    """The value of column `name`; a file without a volume column trades 0."""
    index = layout.roles.get(name)
    if index is None:
        return 0.0
    try:
        return parse_number(row[index])
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def scan_csv(path: Path, layout: CsvLayout, *, allow_equal: bool = False) -> BarSeries:
    """Read `path` row by row; raise DataError at the first bad line, else return the bars.

    `allow_equal` lets rows share a timestamp (see `validate.find_problem`).
    """
    columns = _Columns()
    names = [*_PRICES, "volume"]
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        reader = csv.reader(fh)
        last_end = 0  # a quoted field may span lines: a row starts after the previous one ends
        try:
            for row in reader:
                line, last_end = last_end + 1, reader.line_num
                if line == 1 or not any(field.strip() for field in row):
                    continue  # the header; blank lines are skipped, as pyarrow does
                if len(row) != layout.width:
                    raise _fail(path, columns, line, _field_count_problem(row, layout), allow_equal)
                try:
                    stamp = _stamp(row, layout)
                    values = [_number(row, layout, name) for name in names]
                except ValueError as exc:
                    raise _fail(path, columns, line, str(exc), allow_equal) from None
                columns.ts.append(stamp)
                for name, value in zip(names, values, strict=True):
                    columns.prices[name].append(value)
                columns.lines.append(line)
        except csv.Error as exc:
            unreadable = f"not readable as CSV: {exc}"
            raise _fail(path, columns, reader.line_num, unreadable, allow_equal) from None
    if not columns.lines:
        raise DataError(f"{path}: line 2: no bars after the header")
    series = columns.series(str(path))
    problem = find_problem(series, columns.locate, allow_equal=allow_equal)
    if problem is not None:
        raise DataError(f"{path}: {problem}")
    return series
