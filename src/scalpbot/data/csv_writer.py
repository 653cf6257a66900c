"""`write_csv`: a series in scalpbot's own CSV layout, readable by any spreadsheet or peer tool.

Benchmarks use it to hand the same bars to other libraries. Timestamps are written in IST with
an explicit `+05:30` offset, so nobody has to guess the time zone, at the coarsest unit that
keeps them exact (seconds for minute bars); prices use the shortest text that reads back as the
same float64, so write then load returns identical bars. pyarrow formats the text in blocks,
which keeps a million rows fast and memory flat.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from scalpbot.data.csv_formats import CSV_SUFFIXES
from scalpbot.data.series import BarSeries
from scalpbot.data.validate import find_problem
from scalpbot.domain.errors import DataError

HEADER = "datetime,open,high,low,close,volume\n"
_BLOCK_ROWS = 100_000
_UNITS = (("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000), ("ns", 1))
_FIELDS = ("open", "high", "low", "close", "volume")


def _unit(ts: npt.NDArray[np.int64]) -> tuple[str, int]:
    """The coarsest timestamp unit that represents every value exactly."""
    for unit, divisor in _UNITS:
        if not np.any(ts % divisor):
            return unit, divisor
    return _UNITS[-1]


def write_csv(series: BarSeries, path: str | Path) -> Path:
    """Write `series` as `datetime,open,high,low,close,volume` (replacing `path`); return it.

    Raises DataError if the series is empty or breaks a rule, or the file cannot be written.
    """
    file = Path(path)
    if file.suffix.lower() not in CSV_SUFFIXES:
        raise DataError(f"{file}: a CSV file must end in {' or '.join(CSV_SUFFIXES)}")
    what = series.source or "bars"
    if len(series) == 0:
        raise DataError(f"cannot write {what} to {file}: the series has no bars")
    problem = find_problem(series, lambda row: f"row {row + 1}")
    if problem is not None:
        raise DataError(f"cannot write {what} to {file}: {problem}")
    unit, divisor = _unit(series.ts)
    stamp_type = pa.timestamp(unit, tz="+05:30")
    schema = pa.schema([("datetime", pa.string()), *((name, pa.float64()) for name in _FIELDS)])
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    temporary = file.with_name(f".{file.name}.{os.getpid()}.partial")
    try:
        with pa.OSFile(str(temporary), "wb") as sink:
            sink.write(HEADER.encode())
            with pacsv.CSVWriter(sink, schema, write_options=options) as writer:
                for start in range(0, len(series), _BLOCK_ROWS):
                    block = series.slice(start, start + _BLOCK_ROWS)
                    local = pc.strftime(
                        pa.array(block.ts // divisor, type=stamp_type), format="%Y-%m-%dT%H:%M:%S"
                    )
                    stamps = pc.binary_join_element_wise(local, "+05:30", "")
                    columns = [pa.array(getattr(block, name)) for name in _FIELDS]
                    writer.write_table(pa.Table.from_arrays([stamps, *columns], schema=schema))
        os.replace(temporary, file)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise DataError(f"{file}: cannot write: {exc}") from exc
    return file
